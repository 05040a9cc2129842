"""Coalesced block reads give exactly the per-trace reads; block-shuffled epochs see each trace once."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seislearn.data.streaming import (
    BlockReader,
    StreamedBatches,
    contiguous_batches,
    streamed_loader,
)
from seislearn.io.seisbench import read_seisbench

SAMPLES = 40

#: (dimension order, stored dtype, stored component order, chunked file, chunk rows)
LAYOUTS = {
    "cw_float32": ("CW", "float32", "ZNE", False, 1),
    "cw_float32_chunks_of_8": ("CW", "float32", "ZNE", False, 8),
    "wc_float64": ("WC", "float64", "ZNE", False, 1),
    "cw_int32_other_order": ("CW", "int32", "ENZ", False, 1),
    "cw_float32_two_chunk_files": ("CW", "float32", "ZNE", True, 4),
}


def _value(i: int) -> np.ndarray:
    """The ZNE waveform of trace ``i`` (its index in every sample, so each trace is unique)."""
    grid = np.arange(3 * SAMPLES, dtype=np.float64).reshape(3, SAMPLES)
    return i * 1000 + grid


def write_archive(root: Path, n: int, layout: str, bucket_size: int = 16) -> None:
    """A SeisBench folder of ``n`` traces written with h5py in the given layout."""
    dims, dtype, order, chunked, chunk_rows = LAYOUTS[layout]
    root.mkdir(parents=True)
    files = ["a", "b"] if chunked else [""]
    per_file = np.array_split(np.arange(n), len(files))
    if chunked:
        (root / "chunks").write_text("\n".join(files) + "\n")
    for chunk, ids in zip(files, per_file, strict=True):
        rows = []
        with h5py.File(root / f"waveforms{chunk}.hdf5", "w") as f:
            f.create_dataset("data_format/component_order", data=order)
            f.create_dataset("data_format/dimension_order", data=dims)
            for b, start in enumerate(range(0, len(ids), bucket_size)):
                members = ids[start : start + bucket_size]
                block = np.stack([_value(i)[["ZNE".index(c) for c in order]] for i in members])
                if dims == "WC":
                    block = block.transpose(0, 2, 1)
                name = f"bucket{b}"
                f.create_dataset(
                    f"data/{name}",
                    data=block.astype(dtype),
                    chunks=(min(chunk_rows, len(members)), *block.shape[1:]),
                )
                rest = ":3,:40" if dims == "CW" else ":40,:3"
                rows += [
                    {"trace_name": f"{name}${r},{rest}", "trace_sampling_rate_hz": 20.0}
                    for r in range(len(members))
                ]
        pd.DataFrame(rows).to_csv(root / f"metadata{chunk}.csv", index=False)


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    base = tmp_path_factory.mktemp("blocks")
    out = {}
    for layout in LAYOUTS:
        write_archive(base / layout, 70, layout)
        out[layout] = read_seisbench(base / layout)
    return out


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    layout=st.sampled_from(sorted(LAYOUTS)),
    picks=st.lists(st.integers(0, 69), min_size=1, max_size=60),
    sort=st.booleans(),
)
def test_coalesced_block_reads_equal_per_index_reads_in_the_same_order(
    archives, layout, picks, sort
):
    archive = archives[layout]
    picks = sorted(picks) if sort else picks  # runs, gaps, repeats, any order
    got = BlockReader(archive).read(np.asarray(picks))
    expected = np.stack([archive.get_waveform(i) for i in picks])
    assert got.dtype == np.float32 and got.flags.c_contiguous
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got[:, :, 0], np.stack([_value(i)[:, 0] for i in picks]))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(layout=st.sampled_from(sorted(LAYOUTS)), start=st.integers(0, 69), size=st.integers(1, 70))
def test_batched_iteration_equals_single_reads(archives, layout, start, size):
    archive = archives[layout]
    indices = np.arange(start, min(start + size, 70))
    subset = archive.select(indices)
    waves = [w for ws, _ in subset.iter_batches(16) for w in ws]
    np.testing.assert_array_equal(np.stack(waves), np.stack([_value(i) for i in indices]))


def _trace_ids(batch: np.ndarray) -> list[int]:
    return (batch[:, 0, 0] // 1000).astype(int).tolist()


@pytest.mark.parametrize("num_workers", [0, 2])
def test_a_block_shuffled_epoch_reads_every_trace_once_across_workers(archives, num_workers):
    archive = archives["cw_float32"]
    split = np.arange(1, 70, 2)  # a split: every other trace
    loader = streamed_loader(
        archive, split, None, batch_size=8, shuffle=True, seed=3, num_workers=num_workers, block=2
    )
    epochs = [[i for (x,) in loader for i in _trace_ids(x.numpy())] for _ in range(2)]
    for seen in epochs:
        assert sorted(seen) == split.tolist()
    assert epochs[0] != split.tolist()  # shuffled
    assert epochs[0] != epochs[1]  # the batch order is drawn again every epoch


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(1, 400),
    batch_size=st.integers(1, 64),
    block=st.integers(1, 16),
    world=st.integers(2, 4),
    seed=st.integers(0, 5),
    epoch=st.integers(0, 3),
)
def test_ddp_ranks_together_see_every_trace_exactly_once(n, batch_size, block, world, seed, epoch):
    from torch.utils.data import DistributedSampler

    indices = np.arange(0, 2 * n, 2)
    batches = contiguous_batches(indices, batch_size, block, True, seed, multiple_of=world)
    streamed = StreamedBatches(None, batches, make=lambda _: ())  # type: ignore[arg-type]
    seen = []
    for rank in range(world):
        # what Lightning puts in front of a shuffled map-style dataset under DDP
        sampler = DistributedSampler(streamed, num_replicas=world, rank=rank, shuffle=True)
        sampler.set_epoch(epoch)
        seen += [i for b in sampler for i in batches[b].tolist()]
    if n >= world:
        assert sorted(seen) == indices.tolist()
    else:  # fewer traces than ranks: the sampler must pad, but nothing is lost
        assert set(seen) == set(indices.tolist())


def test_streamed_loader_splits_batches_for_the_ranks(archives):
    archive = archives["cw_float32"]
    loader = streamed_loader(archive, np.arange(70), None, batch_size=32, world_size=4)
    assert len(loader) % 4 == 0
    assert sorted(i for (x,) in loader for i in _trace_ids(x.numpy())) == list(range(70))
