"""Specification of the choice of k."""

from __future__ import annotations

import numpy as np

from seislearn.cluster.choose_k import score_k_range, suggest_k


def test_choose_k_suggests_the_number_of_well_separated_blobs() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    z = np.concatenate([c + rng.standard_normal((40, 2)) for c in centres])
    scores = score_k_range(z, range(2, 7))
    assert list(scores["k"]) == [2, 3, 4, 5, 6]
    choice = suggest_k(scores)
    assert choice == {"silhouette": 3, "davies_bouldin": 3, "suggested": 3}


def test_choose_k_skips_impossible_k() -> None:
    z = np.random.default_rng(1).standard_normal((5, 2))
    assert list(score_k_range(z, [1, 2, 5, 9])["k"]) == [2]
