from __future__ import annotations

import numpy as np

from seislearn.evaluation.clustering import cluster_accuracy, match_clusters, per_class_counts


def test_accuracy_is_invariant_to_cluster_renaming():
    y = np.array([0, 0, 1, 1, 2, 2])
    assert cluster_accuracy(y, np.array([5, 5, 3, 3, 9, 9])) == 1.0
    assert cluster_accuracy(y, np.array([1, 1, 1, 1, 2, 2])) == 4 / 6


def test_hungarian_mapping_lets_every_class_be_predicted_where_majority_cannot():
    y = np.array(["a"] * 6 + ["b"] * 2)
    clusters = np.array([0, 0, 0, 1, 1, 1, 1, 0])  # cluster 1 holds more 'a' than 'b'
    assert set(match_clusters(y, clusters, "majority").values()) == {"a"}
    assert set(match_clusters(y, clusters, "hungarian").values()) == {"a", "b"}


def test_per_class_counts_add_up():
    y = np.array([0, 0, 1, 1, 1])
    p = np.array([0, 1, 1, 1, 0])
    rows = {r["class"]: r for r in per_class_counts(y, p)}
    assert rows[1]["tp"] == 2 and rows[1]["fp"] == 1 and rows[1]["fn"] == 1 and rows[1]["tn"] == 1
    assert abs(rows[1]["precision"] - 2 / 3) < 1e-12
