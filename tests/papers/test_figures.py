"""The sunbursts: sizes consistent with branchvalues 'total', sector counts measured."""

from __future__ import annotations

from collections import defaultdict

from seislearn.papers.clean import clean_records
from seislearn.papers.figures import (
    APPLICATION_LEVELS,
    NETWORK_LEVELS,
    applications_sunburst,
    papers_per_year,
    sunburst_tree,
    task_network_heatmap,
)


def test_a_parent_is_never_smaller_than_its_children(deep_table):
    for levels in (APPLICATION_LEVELS, NETWORK_LEVELS):
        tree = sunburst_tree(deep_table, levels)
        children = defaultdict(int)
        for parent, value in zip(tree.parents, tree.values, strict=True):
            children[parent] += value
        for sector, value in zip(tree.ids, tree.values, strict=True):
            assert value >= children[sector]


def test_inner_ring_sums_to_the_paper_task_pairs(deep_table):
    tree = sunburst_tree(deep_table, APPLICATION_LEVELS)
    inner = sum(v for v, p in zip(tree.values, tree.paths, strict=True) if len(p) == 1)
    assert inner == sum(max(len(p.task), 1) for p in deep_table)


def test_sector_counts_of_the_cleaned_database(deep_table):
    # Published figures: 94 (3a) and 201 (3b) sectors; see docs/papers.md for the differences.
    apps = sunburst_tree(deep_table, APPLICATION_LEVELS)
    nets = sunburst_tree(deep_table, NETWORK_LEVELS)
    assert (len(apps), apps.sectors_per_ring()) == (84, [4, 10, 19, 51])
    assert (len(nets), nets.sectors_per_ring()) == (446, [9, 47, 108, 282])


def test_a_paper_with_two_tasks_sits_under_both(make_row):
    papers, _ = clean_records([make_row(task="['Phase Picking', 'Event Detection']")])
    tree = sunburst_tree(papers, APPLICATION_LEVELS)
    leaves = sorted(p[-1] for p in tree.paths if len(p) == 4)
    assert leaves == ["Event Detection", "Phase Picking"]
    assert tree.papers[0] == 1 and tree.values[0] == 2


def test_a_missing_level_ends_the_path_at_its_parent(make_row):
    papers, _ = clean_records([make_row(neuralNetwork_name="[]")])
    tree = sunburst_tree(papers, NETWORK_LEVELS)
    assert max(len(p) for p in tree.paths) == 3


def test_sector_ids_carry_no_label_text(make_row):
    papers, _ = clean_records([make_row(category="<b>x</b>")])
    figure, tree = applications_sunburst(papers)
    assert all(i.startswith("s") and i[1:].isdigit() for i in tree.ids)
    assert "&lt;b&gt;x&lt;/b&gt;" in figure.data[0].labels


def test_year_and_heatmap_figures_build(deep_table):
    years = papers_per_year(deep_table)
    assert sum(sum(trace.y) for trace in years.data) == 638  # one paper has no year
    heat = task_network_heatmap(deep_table)
    assert heat.data[0].type == "heatmap"
