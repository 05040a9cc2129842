"""DEC on data streamed from disk item by item: the same target, the same clustering."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seislearn.cluster.dec import DeepEmbeddedClustering
from seislearn.cluster.dec_network import DECNetwork, target_distribution
from seislearn.cluster.module import DECModule, streamed_target_distribution


class H5Samples(torch.utils.data.Dataset):
    """Samples read one by one from an HDF5 file (nothing held in memory)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.reads = 0
        with h5py.File(path, "r") as f:
            self.n = len(f["x"])
        self.handle: h5py.File | None = None

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> np.ndarray:
        if self.handle is None:
            self.handle = h5py.File(self.path, "r")
        self.reads += 1
        return self.handle["x"][int(i)]


def stripes(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    base = np.zeros((2, 8, 8), dtype=np.float32)
    base[0, ::2, :] = 1.0
    base[1, :, ::2] = 1.0
    return (base[y] + 0.3 * rng.standard_normal((n, 8, 8)))[:, None].astype(np.float32)


def on_disk(tmp_path, x: np.ndarray) -> H5Samples:
    path = tmp_path / "x.h5"
    with h5py.File(path, "w") as f:
        f["x"] = x
    return H5Samples(str(path))


def network(seed: int, k: int) -> DECNetwork:
    torch.manual_seed(seed)
    net = DECNetwork(1, (8, 8), k, channels=(8, 16), latent_dim=3)
    with torch.no_grad():
        net.centres.normal_()
    return net


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(5, 70),
    k=st.integers(2, 5),
    batch=st.integers(1, 33),
    seed=st.integers(0, 10_000),
)
def test_the_streamed_target_equals_the_target_over_all_samples_in_memory(
    tmp_path_factory, n: int, k: int, batch: int, seed: int
) -> None:
    x = stripes(n, seed)
    samples = on_disk(tmp_path_factory.mktemp("h5"), x)
    net = network(seed, k)
    with torch.no_grad():
        in_memory = target_distribution(net(torch.from_numpy(x))[0])
    streamed = streamed_target_distribution(net, samples, batch_size=batch)
    assert samples.reads == n  # every sample read once, none held
    torch.testing.assert_close(streamed, in_memory, rtol=1e-5, atol=1e-6)


def test_the_dec_module_streams_the_same_target_as_from_a_tensor(tmp_path) -> None:
    x = stripes(50, 3)
    samples = on_disk(tmp_path, x)
    net = network(1, 3)
    from_tensor = DECModule(net, torch.from_numpy(x), inference_batch_size=1024)
    from_disk = DECModule(net, samples, inference_batch_size=7)
    from_tensor._update_target()
    from_disk._update_target()
    torch.testing.assert_close(from_disk.target, from_tensor.target, rtol=1e-5, atol=1e-6)
    assert torch.equal(from_disk.previous_labels, from_tensor.previous_labels)


def test_a_fit_streamed_from_disk_clusters_as_the_fit_in_memory(tmp_path) -> None:
    torch.set_num_threads(1)
    x = stripes(120, 5)
    params = dict(
        n_clusters=2,
        channels=(8, 16),
        latent_dim=4,
        batch_size=32,
        pretrain_epochs=4,
        dec_max_epochs=2,
        update_interval=4,
        n_init=3,
        random_state=0,
        verbose=False,
    )
    memory = DeepEmbeddedClustering(**params).fit(x)
    samples = on_disk(tmp_path, x)
    disk = DeepEmbeddedClustering(**params).fit(samples)
    assert disk.input_shape_ == memory.input_shape_ == (1, 8, 8)
    np.testing.assert_array_equal(disk.labels_, memory.labels_)
    np.testing.assert_allclose(disk.cluster_centers_, memory.cluster_centers_, atol=1e-4)
    np.testing.assert_allclose(disk.transform(samples), memory.transform(x), atol=1e-4)
    np.testing.assert_array_equal(disk.predict(samples), memory.predict(x))


def test_a_streamed_item_of_another_shape_is_named(tmp_path) -> None:
    class Ragged(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return 10

        def __getitem__(self, i: int) -> np.ndarray:
            return np.zeros((1, 8, 8 if i != 6 else 9), dtype=np.float32)

    with pytest.raises(ValueError, match=r"item 6 .* shape"):
        DeepEmbeddedClustering(n_clusters=2, pretrain_epochs=1, verbose=False).fit(Ragged())


def test_pretraining_stops_when_the_dev_loss_no_longer_falls_by_the_relative_threshold() -> None:
    torch.set_num_threads(1)
    x = stripes(64, 2)
    params = dict(
        n_clusters=2,
        channels=(8,),
        latent_dim=2,
        pretrain_epochs=30,
        patience=2,
        dec_max_epochs=1,
        n_init=1,
        verbose=False,
    )
    # No epoch lowers the loss by 90 %: the first sets the best, two more and it stops.
    strict = DeepEmbeddedClustering(min_improvement=0.9, **params).fit(x)
    assert strict.history_["pretrain_epochs_run"] == 3
    # Any decrease counts: a loss still falling keeps pretraining going.
    lax = DeepEmbeddedClustering(min_improvement=0.0, **params).fit(x)
    assert lax.history_["pretrain_epochs_run"] > 3


def test_the_batch_size_is_chosen_from_the_number_of_training_samples() -> None:
    from seislearn.cluster.dec import auto_batch_size

    assert [auto_batch_size(n) for n in (10, 100, 200, 383, 384, 1617, 10**6)] == [
        16, 16, 32, 32, 64, 64, 64,
    ]  # fmt: skip


class Batched(torch.utils.data.Dataset):
    """Items read a batch at a time (``__getitems__``), one of them bad."""

    def __init__(self, n: int, bad: int, kind: str) -> None:
        self.n, self.bad, self.kind = n, bad, kind

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> np.ndarray:
        width = 9 if (self.kind == "shape" and i == self.bad) else 8
        x = np.full((1, 8, width), float(i % 3), dtype=np.float32)
        if self.kind == "nan" and i == self.bad:
            x[0, 3, 4] = np.nan
        return x

    def __getitems__(self, indices: list[int]) -> list[np.ndarray]:
        return [self[i] for i in indices]


@settings(max_examples=10, deadline=None)
@given(bad=st.integers(1, 39), kind=st.sampled_from(["nan", "shape"]))
def test_a_bad_item_in_a_batched_read_is_named(bad: int, kind: str) -> None:
    from seislearn.cluster.dec import StreamedSamples

    samples = StreamedSamples(Batched(40, bad, kind))
    good = [i for i in range(40) if i != bad]
    assert all(x[0].shape == (1, 8, 8) for x in samples.__getitems__(good[:16]))
    with pytest.raises(ValueError, match=rf"item {bad} .*(NaN|shape)"):
        samples.__getitems__(list(range(40)))
