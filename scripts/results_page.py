"""The documentation's results page, generated from ``benchmarks/results/*.json``.

Every figure on the page is read from a JSON file a benchmark script wrote; nothing is
typed by hand. Used two ways:

* as an MkDocs hook (``hooks:`` in ``mkdocs.yml``): ``on_files`` adds ``results.md`` to
  the site at build time, so the page always shows the JSON files of the checkout;
* as a script: ``python scripts/results_page.py [--results DIR] [--out FILE]`` prints the
  page (or writes it to FILE) to read it without building the site.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"

# Leaf keys that hold a headline figure (a score, an error or a rate); all other values
# are shown in the collapsed "all values" table of each file.
HEADLINE_KEYS = frozenset(
    {
        # scores and errors
        "mae_deg",
        "chance_mae_deg",
        "model_over_baseline_mae",
        "mae",
        "r2",
        "acc",
        "nmi",
        "ari",
        "ACC",
        "NMI",
        "ARI",
        "acc_mean",
        "acc_std",
        "acc_excluded_as_errors_mean",
        "dec",
        "ae_kmeans",
        "raw_kmeans",
        "balanced_accuracy",
        "test_balanced_accuracy",
        "metadata_only_control_balanced_accuracy",
        "supervised_logistic_regression_grouped_cv_acc",
        "baseline_pixel_kmeans_ari",
        "auc_top",
        "auc_random",
        # speeds and times
        "model_traces_per_s",
        "baseline_traces_per_s",
        "scipy_per_trace_loop",
        "scipy_vectorized",
        "seislearn_torch_1_thread",
        "seislearn_torch_2_threads",
        "seislearn_get_waveform",
        "seislearn_iter_batches",
        "seisbench_get_waveforms_single",
        "seisbench_get_waveforms_batch",
        "images_per_s",
        "train_s",
        "wall_s",
        "fit_s",
        "total_s",
    }
)
# Top-level text fields that say how a file was made.
CONTEXT_KEYS = ("benchmark", "command", "protocol", "conditions", "note", "unit", "ablation_note")
# Longest sections of the page: per-SNR tables and long lists stay in "all values".
MAX_LIST = 12
GROUPS = (
    ("azimuth", "azimuth: back-azimuth of P"),
    ("cluster", "cluster: deep embedded clustering"),
    ("classify", "classify and explain"),
    ("images", "images: patch clustering"),
    ("data", "data: reading speed"),
    ("spectrogram", "features: spectrogram speed"),
    ("papers", "papers"),
)


def format_value(value: Any) -> str:
    """One JSON leaf as table text: floats to 4 significant digits, lists shortened.

    Parameters
    ----------
    value : Any
        A JSON scalar or list.

    Returns
    -------
    str
        Markdown-safe text (``|`` escaped).
    """
    if isinstance(value, bool) or value is None:
        text = json.dumps(value)
    elif isinstance(value, float):
        text = "nan" if math.isnan(value) else f"{value:.4g}"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, list):
        shown = ", ".join(format_value(v) for v in value[:MAX_LIST])
        more = f", ... ({len(value)} values)" if len(value) > MAX_LIST else ""
        text = f"[{shown}{more}]"
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Every leaf of a JSON document with its dotted path (``runs[0].dec.acc``).

    Lists of scalars are one leaf; lists of objects are entered with their index.
    """
    if isinstance(data, dict):
        rows: list[tuple[str, Any]] = []
        for key, value in data.items():
            rows += flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return rows
    if isinstance(data, list) and any(isinstance(v, dict | list) for v in data):
        rows = []
        for i, value in enumerate(data):
            rows += flatten(value, f"{prefix}[{item_label(value, i)}]")
        return rows
    return [(prefix, data)]


# Keys that name a list item (``variants[P64]``): such items are distinct settings, not
# repeats, so their figures are headline figures; items without one are shown by index.
NAME_KEYS = ("variant", "name", "method", "backbone")


def item_label(item: Any, index: int) -> str:
    """A list item's label in a dotted path: its name (``P64``, ``resnet50@224``) or index."""
    if isinstance(item, dict):
        for key in NAME_KEYS:
            if isinstance(item.get(key), str):
                size = item.get("input_size")
                return f"{item[key]}@{size}" if isinstance(size, int) else item[key]
    return str(index)


def is_headline(path: str) -> bool:
    """Whether a leaf (by dotted path) is a headline figure: its key is a metric and it
    is not one bin of a per-SNR or per-fold breakdown."""
    parts = path.split(".")
    leaf = parts[-1]
    if leaf in ("mean", "std") and "summary" in parts:
        return True
    by_index = any(part.split("[", 1)[1].rstrip("]").isdigit() for part in parts if "[" in part)
    return leaf in HEADLINE_KEYS and "by_snr_db" not in parts and not by_index


def producing_script(stem: str, scripts: list[str]) -> str | None:
    """The benchmark script whose name is the longest prefix of a result file's name."""
    matches = [s for s in scripts if stem == s or stem.startswith(s + "_")]
    return max(matches, key=len) if matches else None


def table(rows: list[tuple[str, Any]]) -> list[str]:
    lines = ["| value | |", "|---|---|"]
    lines += [f"| `{path}` | {format_value(value)} |" for path, value in rows]
    return lines


def render_file(path: Path, scripts: list[str]) -> list[str]:
    """The page section of one result file: how it was made, headline figures, all values."""
    data = json.loads(path.read_text())
    lines = [f"### `{path.name}`", ""]
    script = producing_script(path.stem, scripts)
    if script:
        lines += [f"Written by `benchmarks/{script}.py`.", ""]
    if isinstance(data, dict):
        for key in CONTEXT_KEYS:
            if isinstance(data.get(key), str):
                lines += [f"- **{key}**: {format_value(data[key])}"]
        lines += [""]
    leaves = flatten(data)
    headline = [(p, v) for p, v in leaves if is_headline(p)]
    if headline:
        lines += [*table(headline), ""]
    lines += ['??? info "All values"', ""]
    lines += ["    " + line for line in table(leaves)]
    lines += [""]
    return lines


def render(results_dir: Path = RESULTS) -> str:
    """The whole results page (Markdown) from every JSON file in ``results_dir``.

    Parameters
    ----------
    results_dir : Path
        Folder of benchmark JSON files.

    Returns
    -------
    str
        The page, grouped by workflow (by the file name's first word).
    """
    files = sorted(results_dir.glob("*.json"))
    scripts = sorted(p.stem for p in (results_dir.parent).glob("*.py"))
    lines = [
        "# Measured results",
        "",
        "This page is generated from the JSON files in `benchmarks/results/` by",
        "`scripts/results_page.py` each time the site is built; no figure on it is typed",
        "by hand. Each file was written by the benchmark script named under it (see",
        "`benchmarks/README.md` for how to run them); the workflow pages explain the",
        "conditions and what the figures mean. Machine: 2 CPU cores shared with other",
        "jobs unless a file says otherwise, so timings are upper bounds.",
        "",
        f"{len(files)} result files.",
        "",
    ]
    placed: set[Path] = set()
    for prefix, title in GROUPS:
        group = [f for f in files if f.stem.split("_")[0] == prefix]
        if not group:
            continue
        lines += [f"## {title}", ""]
        for f in group:
            lines += render_file(f, scripts)
            placed.add(f)
    rest = [f for f in files if f not in placed]
    if rest:
        lines += ["## other", ""]
        for f in rest:
            lines += render_file(f, scripts)
    return "\n".join(lines) + "\n"


def on_files(files: Any, config: Any) -> Any:
    """MkDocs hook: add the generated ``results.md`` to the site's files."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, "results.md", content=render()))
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of JSON results")
    parser.add_argument("--out", type=Path, help="write the page here (default: print it)")
    args = parser.parse_args(argv)
    page = render(args.results)
    if args.out:
        args.out.write_text(page)
    else:
        sys.stdout.write(page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
