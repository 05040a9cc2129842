"""Specification of DEC: soft assignment, target distribution, the estimator."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seislearn.cluster.dec import DeepEmbeddedClustering
from seislearn.cluster.dec_network import soft_assignment, target_distribution
from seislearn.errors import DataError
from seislearn.evaluation.clustering import cluster_accuracy


def stripes(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Noisy 8x8 images: horizontal stripes (class 0) or vertical stripes (class 1)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    base = np.zeros((2, 8, 8), dtype=np.float32)
    base[0, ::2, :] = 1.0
    base[1, :, ::2] = 1.0
    x = base[y] + 0.3 * rng.standard_normal((n, 8, 8)).astype(np.float32)
    return x[:, None], y


def tiny_dec(**kwargs: object) -> DeepEmbeddedClustering:
    params = dict(
        n_clusters=2,
        channels=(8, 16),
        latent_dim=4,
        batch_size=32,
        pretrain_epochs=8,
        dec_max_epochs=3,
        update_interval=4,
        n_init=5,
        random_state=0,
    )
    params.update(kwargs)
    return DeepEmbeddedClustering(**params)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def fitted() -> tuple[DeepEmbeddedClustering, np.ndarray, np.ndarray]:
    torch.set_num_threads(1)
    x, y = stripes(160)
    return tiny_dec().fit(x), x, y


def test_soft_assignment_rows_sum_to_one_and_favour_the_nearest_centre() -> None:
    z = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    centres = torch.tensor([[0.0, 0.0], [9.0, 0.0]])
    q = soft_assignment(z, centres, nu=1.0)
    assert torch.allclose(q.sum(1), torch.ones(2))
    assert q[0, 0] > 0.9 and q[1, 1] > 0.9


def test_soft_assignment_is_the_student_t_kernel() -> None:
    z = torch.tensor([[1.0, 0.0]])
    centres = torch.tensor([[0.0, 0.0], [3.0, 0.0]])
    q = soft_assignment(z, centres, nu=1.0)
    kernel = torch.tensor([1 / (1 + 1.0), 1 / (1 + 4.0)])
    assert torch.allclose(q[0], kernel / kernel.sum())


def test_target_distribution_sharpens_each_row() -> None:
    q = torch.tensor([[0.6, 0.4], [0.4, 0.6], [0.7, 0.3]])
    p = target_distribution(q)
    assert torch.allclose(p.sum(1), torch.ones(3))
    assert (p.max(1).values > q.max(1).values).all()


def test_target_distribution_divides_by_the_dataset_wide_cluster_frequency() -> None:
    # The same row gets a different target when the rest of the dataset changes:
    # p must be computed over the whole dataset, never per batch.
    row = torch.tensor([[0.5, 0.5]])
    crowded = target_distribution(torch.cat([row, torch.tensor([[0.9, 0.1]] * 5)]))[0]
    alone = target_distribution(row)[0]
    assert torch.allclose(alone, torch.tensor([0.5, 0.5]))
    assert crowded[1] > crowded[0]  # the rarer cluster 1 is up-weighted


def test_dec_separates_two_kinds_of_images(fitted) -> None:
    dec, _, y = fitted
    assert cluster_accuracy(y, dec.labels_) >= 0.95


def test_dec_exposes_the_scikit_learn_attributes(fitted) -> None:
    dec, x, _ = fitted
    assert dec.labels_.shape == (len(x),)
    assert dec.cluster_centers_.shape == (2, 4)
    assert dec.transform(x).shape == (len(x), 4)
    proba = dec.predict_proba(x)
    assert np.allclose(proba.sum(1), 1.0, atol=1e-5)
    assert np.array_equal(dec.predict(x), dec.labels_)


def test_dec_updates_the_target_every_update_interval_batches(fitted) -> None:
    dec, _, _ = fitted
    steps = [h["step"] for h in dec.history_["dec"]]
    assert steps[0] == 0
    assert all(b - a == 4 for a, b in itertools.pairwise(steps))


def test_dec_stops_when_labels_no_longer_change() -> None:
    x, _ = stripes(96, seed=1)
    dec = tiny_dec(tol=100.0, dec_max_epochs=20).fit(x)  # any change < 100 % converges
    assert dec.history_["dec_converged"]
    assert len(dec.history_["dec"]) == 2


def test_dec_saved_model_predicts_the_same(fitted, tmp_path) -> None:
    dec, x, _ = fitted
    dec.save(tmp_path)
    loaded, extra = DeepEmbeddedClustering.load(tmp_path)
    assert np.allclose(loaded.predict_proba(x), dec.predict_proba(x), atol=1e-6)
    assert extra["params"]["n_clusters"] == 2
    assert not list(tmp_path.glob("*.pkl"))


def test_dec_rejects_samples_of_another_shape(fitted) -> None:
    dec, _, _ = fitted
    with pytest.raises(ValueError, match="features, but DeepEmbeddedClustering is expecting"):
        dec.predict(np.zeros((2, 1, 8, 9), dtype=np.float32))


def test_dec_refuses_to_predict_before_fit() -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        DeepEmbeddedClustering(n_clusters=2).predict(np.zeros((2, 1, 8, 8)))


def test_dec_rejects_nan_input() -> None:
    x, _ = stripes(8)
    x[3, 0, 2, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        tiny_dec().fit(x)


def test_dec_gmm_initialization_gives_one_centre_per_cluster() -> None:
    x, y = stripes(96, seed=2)
    dec = tiny_dec(init="gmm", dec_max_epochs=1).fit(x)
    assert dec.init_centers_.shape == (2, 4)
    assert cluster_accuracy(y, dec.init_labels_) >= 0.9


def test_medoid_partition_picks_the_partition_the_others_agree_with() -> None:
    from seislearn.cluster.dec import medoid_partition

    truth = np.repeat([0, 1, 2], 20)
    relabelled = np.array([2, 0, 1])[truth]  # the same partition under other names
    merged = np.where(truth == 2, 1, truth)  # two clusters merged
    noisy = truth.copy()
    noisy[:5] = 1
    agreement, chosen = medoid_partition([merged, noisy, relabelled, truth])
    assert chosen in (2, 3) and agreement[2] == pytest.approx(agreement[3])
    assert agreement[0] < agreement[1] < agreement[3]
    assert medoid_partition([merged]) == ([1.0], 0)
    with pytest.raises(ValueError, match="no partition"):
        medoid_partition([])


def test_several_pretrainings_continue_from_the_medoid_one() -> None:
    torch.set_num_threads(1)
    x, _ = stripes(120, seed=2)
    dec = tiny_dec(n_pretrain=3, dec_max_epochs=1).fit(x)
    agreement = dec.history_["pretrain_agreement"]
    assert len(agreement) == 3 and dec.history_["pretrain_chosen"] == int(np.argmax(agreement))
    # DEC starts from the chosen autoencoder: its embedding gives the initial labels.
    z = dec.transform_pretrained(x)
    d2 = ((z[:, None, :] - dec.init_centers_[None]) ** 2).sum(-1)
    assert (d2.argmin(1) == dec.init_labels_).mean() > 0.95
    single = tiny_dec(dec_max_epochs=1).fit(x)
    assert single.history_["pretrain_agreement"] == [1.0]
    with pytest.raises(ValueError, match="n_pretrain"):
        tiny_dec(n_pretrain=0).fit(x)


def test_several_pretrainings_continue_from_the_best_reconstruction() -> None:
    torch.set_num_threads(1)
    x, _ = stripes(120, seed=2)
    dec = tiny_dec(n_pretrain=3, dec_max_epochs=1, pretrain_selection="reconstruction").fit(x)
    mse = dec.history_["pretrain_mse"]
    assert len(mse) == 3 and dec.history_["pretrain_chosen"] == int(np.argmin(mse))
    # The chosen autoencoder is the one kept: its reconstruction error on the
    # validation part is the recorded minimum (within float32 summation order).
    assert min(mse) == min(h["val_loss"] for h in dec.history_["pretrain"] if "val_loss" in h)
    with pytest.raises(ValueError, match="pretrain_selection"):
        tiny_dec(pretrain_selection="labels").fit(x)


@given(
    val=st.lists(st.floats(1e-6, 10.0), max_size=6),
    train=st.lists(st.floats(1e-6, 10.0), min_size=1, max_size=6),
)
@settings(max_examples=50, deadline=None)
def test_pretrain_mse_is_the_best_validation_else_the_last_training_loss(
    val: list[float], train: list[float]
) -> None:
    from seislearn.cluster.dec import pretrain_mse

    rows = [{"epoch": float(i), "train_loss": t} for i, t in enumerate(train)]
    for row, v in zip(rows, val, strict=False):
        row["val_loss"] = v
    expected = min(val[: len(train)]) if val[: len(train)] else train[-1]
    assert pretrain_mse(rows) == expected
    assert pretrain_mse([]) == float("inf")


def test_resumed_pretraining_keeps_the_best_epoch_of_the_earlier_session(tmp_path) -> None:
    import lightning as L
    from torch.utils.data import DataLoader, TensorDataset

    from seislearn.cluster.cae import ConvAutoencoder
    from seislearn.cluster.module import CAEPretrainModule
    from seislearn.training.checkpoints import latest_epoch_checkpoint

    class Worsening(CAEPretrainModule):
        """Validation loss rises every epoch, so the best epoch is the first."""

        def validation_step(self, batch, batch_idx):
            self.log("val_loss", float(self.current_epoch), on_epoch=True)

    torch.set_num_threads(1)
    x, _ = stripes(32, seed=3)
    loader = DataLoader(TensorDataset(torch.from_numpy(x)), batch_size=16)

    def fit(epochs: int, ckpt_path: str | None = None) -> CAEPretrainModule:
        torch.manual_seed(0)
        module = Worsening(ConvAutoencoder(1, (8, 8), channels=(8, 16), latent_dim=4), lr=1e-2)
        trainer = L.Trainer(
            max_epochs=epochs,
            logger=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            callbacks=[latest_epoch_checkpoint(tmp_path)],
        )
        trainer.fit(module, loader, loader, ckpt_path=ckpt_path)
        return module

    first = fit(3)
    assert first.best_val == 0.0
    best = {k: v.clone() for k, v in first.best_state.items()}
    # Resumed after pretraining had finished: no epoch runs, the best one is still known.
    resumed = fit(3, str(tmp_path / "last.ckpt"))
    assert resumed.history == [] and resumed.best_val == 0.0
    resumed.restore_best()
    for key, value in resumed.autoencoder.state_dict().items():
        torch.testing.assert_close(value, best[key])
    # Resumed with epochs to go: a worse epoch does not replace the earlier best.
    more = fit(4, str(tmp_path / "last.ckpt"))
    assert len(more.history) == 1 and more.best_val == 0.0


def test_resuming_a_converged_dec_trains_no_further(tmp_path, count_training_steps) -> None:
    from seislearn.cluster.module import DECModule

    torch.set_num_threads(1)
    x, _ = stripes(120, seed=1)
    first = tiny_dec(dec_max_epochs=20, checkpoint_dir=tmp_path).fit(x)
    assert first.history_["dec_converged"]
    steps = count_training_steps(DECModule)
    again = tiny_dec(dec_max_epochs=20, checkpoint_dir=tmp_path, resume=True).fit(x)
    assert steps == []  # a restart of DEC would take more steps and move the centres
    assert again.history_["dec_converged"]
    np.testing.assert_array_equal(again.labels_, first.labels_)
    np.testing.assert_allclose(again.cluster_centers_, first.cluster_centers_)


def test_resume_never_unpickles_a_checkpoint(tmp_path, monkeypatch) -> None:

    class Payload:
        def __reduce__(self):
            return (exec, (f"open({str(tmp_path / 'ran')!r}, 'w').write('x')",))

    torch.save({"epoch": 0, "payload": Payload()}, tmp_path / "pretrain-last.ckpt")
    # Even where the environment asks torch to unpickle checkpoints, resume does not.
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    x, _ = stripes(40, seed=0)
    with pytest.raises(DataError, match=r"pretrain-last\.ckpt.*weights-only load refuses"):
        tiny_dec(checkpoint_dir=tmp_path, resume=True).fit(x)
    assert not (tmp_path / "ran").exists()


@given(seed=st.integers(0, 2**16))
@settings(max_examples=10, deadline=None)
def test_choose_init_takes_kmeans_for_round_clusters_and_gmm_for_elongated_ones(
    seed: int,
) -> None:
    from seislearn.cluster.dec import choose_init

    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0], [8.0, 0.0, 0.0], [0.0, 8.0, 0.0]])
    labels = rng.integers(0, 3, 300)
    round_ = centres[labels] + rng.normal(size=(300, 3))
    init, bic = choose_init(round_, 3, seed)
    assert init == "kmeans" and bic["spherical"] <= bic["full"]
    # The same clusters stretched 10-fold along a direction of their own: no
    # single variance per cluster fits them.
    stretched = rng.normal(size=(300, 3)) * np.array([10.0, 0.3, 0.3])
    rotation = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    elongated = centres[labels] * 4 + stretched @ rotation
    init, bic = choose_init(elongated, 3, seed)
    assert init == "gmm" and bic["full"] < bic["spherical"]


def test_auto_init_records_its_choice() -> None:
    x, y = stripes(96, seed=2)
    dec = tiny_dec(init="auto", dec_max_epochs=1).fit(x)
    assert dec.init_chosen_ in ("kmeans", "gmm")
    assert set(dec.init_bic_) == {"spherical", "full"}
    assert cluster_accuracy(y, dec.init_labels_) >= 0.9


@given(seed=st.integers(0, 2**16))
@settings(max_examples=10, deadline=None)
def test_kmeans_spherical_moves_the_boundary_away_from_the_tight_cluster(seed: int) -> None:
    from sklearn.cluster import KMeans

    from seislearn.cluster.dec import kmeans_spherical

    # A tight cluster (sd 0.3) beside a wide one (sd 1.5), 4 apart: KMeans cuts half
    # way and gives the tight cluster the wide one's near tail; the mixture does not.
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], 400)
    z = np.where(y[:, None] == 0, 0.3, 1.5) * rng.normal(size=(800, 2))
    z[:, 0] += 4.0 * y
    km = KMeans(2, n_init=5, random_state=seed).fit_predict(z)
    centres, labels = kmeans_spherical(z, 2, 5, seed)
    assert centres.shape == (2, 2) and centres.dtype == np.float32
    assert cluster_accuracy(y, labels) > cluster_accuracy(y, km) + 0.02
    assert cluster_accuracy(y, labels) > 0.97


def test_kmeans_spherical_init_is_accepted_by_the_estimator() -> None:
    x, y = stripes(96, seed=2)
    dec = tiny_dec(init="kmeans_spherical", dec_max_epochs=1).fit(x)
    assert dec.init_centers_.shape == (2, 4)
    assert cluster_accuracy(y, dec.init_labels_) >= 0.9
