"""The HTML report: contents, summary verdicts, number formatting, escaping, saved sections."""

from __future__ import annotations

import json
import re

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seislearn.report.html import Headline, Section, render
from seislearn.report.interactive import save_interactive, scatter_figure
from seislearn.report.labels import Percent, column_decimals, format_number, metric_label

HOSTILE = "<script>window.__pwned = 1</script>"


def _headline(value: float, baseline: float, higher: bool) -> Headline:
    return Headline("azimuth", "MAE (deg)", "model", value, "polarization", baseline, higher)


def test_summary_marks_a_lower_error_as_a_win_and_a_higher_as_a_loss():
    assert _headline(1.5, 2.0, higher=False).verdict == "win"
    assert _headline(2.5, 2.0, higher=False).verdict == "loss"
    assert _headline(0.9, 0.8, higher=True).verdict == "win"


def test_summary_calls_values_equal_at_the_shown_precision_a_tie():
    assert _headline(2.0001, 2.0002, higher=False).verdict == "tie"


def test_report_has_contents_and_summary_that_link_to_existing_ids():
    sections = [
        Section("Azimuth").add_headline(_headline(1.5, 2.0, False)),
        Section("Cluster").add_headline(_headline(0.7, 0.75, True)),
        Section("Azimuth"),
    ]
    page = render("demo", sections)
    ids = set(re.findall(r"id='([^']+)'", page))
    links = re.findall(r"href='#([^']+)'", page)
    assert len(links) == 4 and set(links) <= ids
    assert "class='win'" in page and "class='loss'" in page


def test_text_from_data_is_escaped_everywhere():
    section = Section(HOSTILE).add_text(HOSTILE).add_table(HOSTILE, [HOSTILE], [[HOSTILE]])
    section.add_headline(Headline(HOSTILE, HOSTILE, HOSTILE, 1.0, HOSTILE, 2.0, True, HOSTILE))
    assert "<script>window" not in render(HOSTILE, [section], subtitle=HOSTILE)


def test_interactive_twin_is_drawn_and_its_data_cannot_close_the_script(tmp_path):
    png = tmp_path / "latent.png"
    png.write_bytes(b"not used")
    figure = scatter_figure(
        np.arange(3.0), np.arange(3.0), title="t", x_label="x", y_label="y", hover=[HOSTILE] * 3
    )
    figure["layout"]["title"]["text"] = "</script><script>window.__pwned=1</script>"
    save_interactive(png, figure)
    page = render("r", [Section("s").add_figure(png, "caption")])
    assert page.count("class='plotly-data'") == 1
    assert "</script><script>window" not in page
    assert page.count("Plotly.newPlot") == 1


def test_fractions_show_as_percent_and_a_column_shares_its_precision():
    assert format_number(Percent(0.9345), 2) == "93.5\u00a0%"
    decimals = column_decimals([2.3456, 12.0, 0.5])
    assert [format_number(v, decimals) for v in (2.3456, 12.0)] == ["2.3", "12.0"]


def test_metric_keys_get_readable_labels():
    assert metric_label("mae_deg") == "mean abs. error (deg)"
    assert metric_label("travel_time_s") == "travel time (s)"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=False, allow_infinity=False, width=32),
            st.integers(-1000, 1000),
            st.text(max_size=8),
        ),
        max_size=5,
    )
)
def test_a_saved_section_reads_back_the_same(cells):
    section = Section("t", ["p"], [("c", ["h"] * len(cells), [cells, [Percent(0.5)]])])
    section.add_headline(_headline(1.0, 2.0, False))
    again = Section.from_dict(json.loads(json.dumps(section.to_dict())))
    assert again == section
    assert isinstance(again.tables[0][2][1][0], Percent)
