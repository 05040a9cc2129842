// Explorer page of the seislearn literature database.
// Every text from the data reaches the page through textContent or through plotly's
// own text rendering, never through innerHTML, so a title such as "<script>" shows
// as text. The data arrives as JSON in a <script type="application/json"> block.
(function () {
  "use strict";

  const payload = JSON.parse(document.getElementById("papers-data").textContent);
  const papers = payload.papers;
  const columns = payload.columns;
  const state = { sector: null, heat: null };

  const $ = (id) => document.getElementById(id);
  const searchBox = $("search");
  const yearMin = $("year-min");
  const yearMax = $("year-max");
  const selects = Array.from(document.querySelectorAll("select[data-field]"));
  const tbody = $("papers-body");
  const countLabel = $("count");
  const sectorLabel = $("sector-filter");
  const clearButton = $("clear-filters");
  const pageSize = parseInt(document.querySelector("nav.pager").dataset.pageSize, 10) || 50;
  const prevButton = $("page-prev");
  const nextButton = $("page-next");
  const pageLabel = $("page-label");
  let page = 0;

  function labelsOf(paper, field) {
    const value = paper[field];
    if (value === null || value === undefined || value === "") return [];
    return Array.isArray(value) ? value.map((v) => (v === null ? "?" : String(v))) : [String(value)];
  }

  function cellText(value) {
    if (value === null || value === undefined) return "";
    if (Array.isArray(value)) return value.map((v) => (v === null ? "?" : String(v))).join(", ");
    return String(value);
  }

  // Lower-cased text each paper is searched in, built once.
  const haystacks = papers.map((paper) =>
    columns.map((c) => cellText(paper[c])).concat([cellText(paper.notes)]).join(" \u0001 ").toLowerCase()
  );

  function fillSelects() {
    for (const select of selects) {
      const field = select.dataset.field;
      const counts = new Map();
      for (const paper of papers) {
        for (const label of labelsOf(paper, field)) counts.set(label, (counts.get(label) || 0) + 1);
      }
      const labels = Array.from(counts.keys()).sort((a, b) => a.localeCompare(b));
      for (const label of labels) {
        const option = document.createElement("option");
        option.value = label;
        option.textContent = label + " (" + counts.get(label) + ")";
        select.appendChild(option);
      }
    }
  }

  function matchesPath(paper, levels, path) {
    for (let i = 0; i < path.length; i++) {
      const labels = labelsOf(paper, levels[i]);
      const ok = path[i] === payload.missing ? labels.length === 0 : labels.includes(path[i]);
      if (!ok) return false;
    }
    return true;
  }

  function visible(paper, index) {
    const words = searchBox.value.toLowerCase().split(/\s+/).filter((w) => w.length > 0);
    for (const word of words) if (!haystacks[index].includes(word)) return false;
    for (const select of selects) {
      if (select.value && !labelsOf(paper, select.dataset.field).includes(select.value)) return false;
    }
    const lo = parseInt(yearMin.value, 10);
    const hi = parseInt(yearMax.value, 10);
    if (!Number.isNaN(lo) && !(paper.year !== null && paper.year >= lo)) return false;
    if (!Number.isNaN(hi) && !(paper.year !== null && paper.year <= hi)) return false;
    if (state.sector && !matchesPath(paper, state.sector.levels, state.sector.path)) return false;
    if (state.heat && !matchesPath(paper, state.heat.levels, state.heat.path)) return false;
    return true;
  }

  // The table shows one page of the matching papers; body[data-shown] is the number matching.
  function render() {
    const fragment = document.createDocumentFragment();
    const matching = [];
    papers.forEach((paper, index) => {
      if (visible(paper, index)) matching.push(paper);
    });
    const shown = matching.length;
    const pages = Math.max(1, Math.ceil(shown / pageSize));
    page = Math.min(Math.max(page, 0), pages - 1);
    matching.slice(page * pageSize, (page + 1) * pageSize).forEach((paper) => {
      const tr = document.createElement("tr");
      for (const column of columns) {
        const td = document.createElement("td");
        td.textContent = cellText(paper[column]);
        td.className = "col-" + column;
        tr.appendChild(td);
      }
      if (paper.notes) tr.title = paper.notes;
      fragment.appendChild(tr);
    });
    tbody.replaceChildren(fragment);
    countLabel.textContent = shown + " of " + papers.length + " papers";
    const first = shown === 0 ? 0 : page * pageSize + 1;
    pageLabel.textContent =
      "rows " + first + "-" + Math.min(shown, (page + 1) * pageSize) + " of " + shown +
      " (page " + (page + 1) + " of " + pages + ")";
    prevButton.disabled = page === 0;
    nextButton.disabled = page >= pages - 1;
    const parts = [];
    if (state.sector) parts.push(state.sector.name + ": " + state.sector.path.join(" \u203a "));
    if (state.heat) parts.push("heatmap: " + state.heat.path.join(" \u00d7 "));
    sectorLabel.textContent = parts.length ? "Filtered by " + parts.join("; ") : "";
    document.body.dataset.shown = String(shown);
  }

  // Sector at the centre of each sunburst ("" = the whole figure). plotly zooms into a
  // clicked sector that has children and zooms out when the centre is clicked; the table
  // follows the same path.
  const centre = {};

  function hasChildren(info, id) {
    return Object.values(info.parents).includes(id);
  }

  function sectorClick(figureId, event) {
    const info = payload.sectors[figureId];
    const point = event && event.points && event.points[0];
    if (!info || !point || point.id === undefined) return;
    let target = point.id;
    if (centre[figureId] && target === centre[figureId]) target = info.parents[target] || "";
    if (target === "" || hasChildren(info, target)) centre[figureId] = target;
    const path = info.paths[target];
    state.sector = path ? { name: info.name, levels: info.levels, path: path } : null;
    page = 0;
    render();
  }

  function heatmapClick(event) {
    const point = event && event.points && event.points[0];
    if (!point) return;
    const info = payload.heatmap;
    state.heat = { levels: info.levels, path: [info.rows[point.pointIndex[0]], info.columns[point.pointIndex[1]]] };
    page = 0;
    render();
  }

  function drawFigures() {
    for (const [figureId, figure] of Object.entries(payload.figures)) {
      const div = $(figureId);
      const config = { responsive: true, displaylogo: false };
      Plotly.newPlot(div, figure.data, figure.layout, config).then(() => {
        if (payload.sectors[figureId]) div.on("plotly_click", (event) => sectorClick(figureId, event));
        if (payload.heatmap && payload.heatmap.figure === figureId) div.on("plotly_click", heatmapClick);
        div.dataset.ready = "1";
      });
    }
  }

  // A new filter starts again at the first page.
  const filterChanged = () => {
    page = 0;
    render();
  };
  searchBox.addEventListener("input", filterChanged);
  yearMin.addEventListener("input", filterChanged);
  yearMax.addEventListener("input", filterChanged);
  for (const select of selects) select.addEventListener("change", filterChanged);
  prevButton.addEventListener("click", () => {
    page -= 1;
    render();
  });
  nextButton.addEventListener("click", () => {
    page += 1;
    render();
  });
  clearButton.addEventListener("click", () => {
    state.sector = null;
    state.heat = null;
    searchBox.value = "";
    yearMin.value = "";
    yearMax.value = "";
    for (const select of selects) select.value = "";
    page = 0;
    render();
  });

  fillSelects();
  render();
  drawFigures();
})();
