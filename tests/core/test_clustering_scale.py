"""Clustering at scale: UMAP on a sample + transform, KMeans or MiniBatchKMeans by size."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from seislearn.clustering.kmeans import (
    KMEANS_MAX_ELEMENTS,
    choose_kmeans,
    fit_kmeans,
    kmeans_working_bytes,
    make_kmeans,
)
from seislearn.clustering.umap_sample import SampledUMAP

PLENTY = 1 << 40  # bytes of memory: the element rule alone decides


@given(
    n_samples=st.integers(1, 10**8),
    n_features=st.integers(1, 4096),
)
def test_auto_choice_switches_to_minibatch_exactly_above_the_element_threshold(
    n_samples, n_features
):
    chosen = choose_kmeans(n_samples, n_features, memory_bytes=PLENTY)
    expected = "minibatch" if n_samples * n_features > KMEANS_MAX_ELEMENTS else "kmeans"
    assert chosen == expected


@given(n_features=st.integers(1, 512), max_elements=st.integers(1, 10**7))
def test_the_threshold_is_the_last_size_that_gets_full_kmeans(n_features, max_elements):
    n_at = max_elements // n_features
    kw = {"max_elements": max_elements, "memory_bytes": PLENTY}
    if n_at >= 1:
        assert choose_kmeans(n_at, n_features, **kw) == "kmeans"
    assert choose_kmeans(n_at + 1, n_features, **kw) == "minibatch"


def test_auto_choice_takes_minibatch_when_full_kmeans_would_not_fit_in_memory():
    n, d = 100_000, 20  # far below the element threshold
    need = kmeans_working_bytes(n, d)
    assert choose_kmeans(n, d, memory_bytes=4 * need) == "kmeans"
    assert choose_kmeans(n, d, memory_bytes=need) == "minibatch"


@pytest.mark.parametrize("method", ["kmeans", "minibatch"])
def test_an_explicit_method_overrides_the_choice(method):
    for n in (10, 10**9):
        assert choose_kmeans(n, 64, method, memory_bytes=1) == method


def test_an_unknown_method_is_refused_by_name():
    with pytest.raises(ValueError, match="fastest"):
        choose_kmeans(10, 2, "fastest")


def test_make_kmeans_builds_the_chosen_estimator():
    assert isinstance(make_kmeans(3, 1000, 8), KMeans)
    assert isinstance(make_kmeans(3, 10**7, 8), MiniBatchKMeans)
    assert isinstance(make_kmeans(3, 1000, 8, method="minibatch"), MiniBatchKMeans)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_clusters=st.integers(2, 6),
    n_features=st.integers(2, 24),
    per_cluster=st.integers(40, 400),
    seed=st.integers(0, 2**16),
)
def test_minibatch_agrees_with_full_kmeans_on_well_separated_blobs(
    n_clusters, n_features, per_cluster, seed
):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-3, 3, (n_clusters, n_features))
    centres[:, 0] = 15.0 * rng.permutation(n_clusters)  # at least 15 sigma apart
    x, y = make_blobs(n_clusters * per_cluster, centers=centres, cluster_std=1.0, random_state=seed)
    x = x.astype(np.float32)
    full = fit_kmeans(x, n_clusters, "kmeans", n_init=3, random_state=seed)
    mini = fit_kmeans(x, n_clusters, "minibatch", n_init=3, random_state=seed)
    assert isinstance(mini, MiniBatchKMeans)
    assert adjusted_rand_score(full.labels_, mini.labels_) == pytest.approx(1.0)
    assert adjusted_rand_score(y, mini.labels_) == pytest.approx(1.0)


def test_fit_kmeans_refuses_data_that_is_not_two_dimensional():
    with pytest.raises(ValueError, match="2-D"):
        fit_kmeans(np.zeros(10), 2)


# --- UMAP on a sample ------------------------------------------------------------


@pytest.fixture(scope="module")
def rows():
    x, y = make_blobs(700, n_features=10, centers=3, cluster_std=1.0, random_state=0)
    return x.astype(np.float32), y


@pytest.fixture(scope="module")
def sampled(rows):
    umap = SampledUMAP(n_components=2, sample_size=250, block_size=200, random_state=3)
    return umap, umap.fit_transform(rows[0])


def test_every_row_gets_an_embedding_when_umap_is_fitted_on_a_sample(sampled, rows):
    umap, embedding = sampled
    assert embedding.shape == (len(rows[0]), 2)
    assert embedding.dtype == np.float32
    assert np.isfinite(embedding).all()
    assert len(umap.sample_index_) == 250
    assert len(np.unique(umap.sample_index_)) == 250
    # The sampled rows keep the embedding the fit gave them.
    np.testing.assert_array_equal(embedding[umap.sample_index_], umap.umap_.embedding_)


def test_transformed_rows_land_with_their_group(sampled, rows):
    umap, embedding = sampled
    rest = np.setdiff1d(np.arange(len(rows[0])), umap.sample_index_)
    labels = KMeans(3, n_init=3, random_state=0).fit_predict(embedding)
    assert adjusted_rand_score(rows[1][rest], labels[rest]) > 0.95


def test_sampled_umap_is_deterministic_with_random_state(sampled, rows):
    _, embedding = sampled
    again = SampledUMAP(n_components=2, sample_size=250, block_size=200, random_state=3)
    np.testing.assert_array_equal(again.fit_transform(rows[0]), embedding)
    new = rows[0][:150] + 0.1
    np.testing.assert_array_equal(again.transform(new), sampled[0].transform(new))


def test_the_sample_is_all_rows_up_to_the_sample_size():
    umap = SampledUMAP(sample_size=100)
    np.testing.assert_array_equal(umap.sample_rows(100), np.arange(100))
    assert len(umap.sample_rows(101)) == 100
    assert SampledUMAP(sample_size=None).sample_rows(10**6).size == 10**6


@pytest.mark.parametrize("bad", [np.zeros(10), np.zeros((3, 4))])
def test_sampled_umap_refuses_unusable_input(bad):
    with pytest.raises(ValueError, match=r"2-D|at least 4"):
        SampledUMAP().fit(bad)
