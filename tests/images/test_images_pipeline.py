"""UMAP -> KMeans -> mapping -> anomaly scores, and saving it without pickle."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from seislearn.errors import DataError
from seislearn.images.pipeline import ImageClusterPipeline


@pytest.fixture(scope="module")
def blobs():
    x, y = make_blobs(160, n_features=12, centers=4, cluster_std=1.0, random_state=0)
    names = np.array(["horizon", "fault", "chaotic", "salt_dome"])[y]
    return x.astype(np.float32), names


@pytest.fixture(scope="module")
def fitted(blobs):
    x, y = blobs
    return ImageClusterPipeline(n_components=5, n_neighbors=10, random_state=0).fit(x, y)


def test_pipeline_recovers_well_separated_groups(fitted, blobs):
    assert adjusted_rand_score(blobs[1], fitted.labels_) > 0.95


def test_k_is_the_number_of_classes_when_labels_are_given(fitted):
    assert fitted.cluster_centers_.shape[0] == 4


def test_hungarian_mapping_gives_every_class_to_one_cluster(fitted):
    assert sorted(fitted.mapping_.values()) == ["chaotic", "fault", "horizon", "salt_dome"]


def test_k_is_chosen_by_silhouette_without_labels(blobs):
    pipe = ImageClusterPipeline(n_components=0, k_range=(2, 6), random_state=0).fit(blobs[0])
    assert pipe.cluster_centers_.shape[0] == 4
    assert max(pipe.silhouette_, key=pipe.silhouette_.get) == 4
    assert pipe.mapping_ == {}


@pytest.mark.parametrize("method", ["centroid", "isolation_forest", "lof"])
def test_a_far_away_point_gets_the_highest_anomaly_score(blobs, method):
    x, y = blobs
    # Far from its group, but not so far that KMeans gives it a cluster of its own.
    odd = np.vstack([x, x[y == "fault"].mean(0) + 6.0])
    pipe = ImageClusterPipeline(n_components=0, n_clusters=4, anomaly=method, random_state=0).fit(
        odd
    )
    assert np.argmax(pipe.anomaly_scores_) == len(odd) - 1


def test_saved_pipeline_reloads_and_assigns_the_training_points_to_their_clusters(
    fitted, blobs, tmp_path
):
    fitted.save(tmp_path)
    loaded = ImageClusterPipeline.load(tmp_path)
    result = loaded.predict(blobs[0])
    assert np.mean(result["cluster"] == fitted.labels_) > 0.95
    assert set(result["predicted_label"]) == set(fitted.mapping_.values())


def test_saved_pipeline_holds_no_pickle(fitted, tmp_path):
    fitted.save(tmp_path)
    with np.load(tmp_path / "pipeline_arrays.npz", allow_pickle=False) as arrays:
        assert all(arrays[k].dtype != object for k in arrays.files)
    json.loads((tmp_path / "pipeline.json").read_text())


def test_load_refuses_a_pipeline_whose_umap_refit_does_not_reproduce(fitted, tmp_path):
    fitted.save(tmp_path)
    with np.load(tmp_path / "pipeline_arrays.npz") as arrays:
        data = {k: arrays[k] for k in arrays.files}
    data["embedding"] = data["embedding"] + 1.0
    np.savez(tmp_path / "pipeline_arrays.npz", **data)
    with pytest.raises(DataError, match="did not reproduce"):
        ImageClusterPipeline.load(tmp_path)


def test_pipeline_follows_the_scikit_learn_parameter_conventions() -> None:
    from sklearn.base import clone

    pipe = ImageClusterPipeline(n_components=0, n_clusters=3, random_state=4)
    params = pipe.get_params()
    assert ImageClusterPipeline().set_params(**params).get_params() == params
    assert clone(pipe).get_params() == params
    x = np.random.default_rng(0).standard_normal((30, 4)).astype(np.float32)
    labels = clone(pipe).fit_predict(x)
    np.testing.assert_array_equal(labels, clone(pipe).fit(x).labels_)
    with pytest.warns(FutureWarning, match="random_state"):
        old = ImageClusterPipeline(n_components=0, n_clusters=3, seed=4).fit(x)
    np.testing.assert_array_equal(old.labels_, labels)


def test_umap_on_a_sample_embeds_assigns_and_reloads_every_patch(blobs, tmp_path):
    x, y = blobs
    pipe = ImageClusterPipeline(
        n_components=3, n_neighbors=10, umap_sample_size=60, kmeans="minibatch", random_state=0
    ).fit(x, y)
    assert pipe.embedding_.shape == (len(x), 3)
    assert len(pipe.umap_sample_index_) == 60
    assert pipe.train_features_.shape == (60, x.shape[1])  # only the sample is kept
    assert pipe.kmeans_method_ == "MiniBatchKMeans"
    assert adjusted_rand_score(y, pipe.labels_) > 0.95
    pipe.save(tmp_path)
    loaded = ImageClusterPipeline.load(tmp_path)
    np.testing.assert_array_equal(loaded.umap_sample_index_, pipe.umap_sample_index_)
    assert np.mean(loaded.predict(x)["cluster"] == pipe.labels_) > 0.95
