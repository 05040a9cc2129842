"""One training epoch of the azimuth network and of the cluster autoencoder, streamed vs in memory.

Writes a synthetic SeisBench-format archive of ``--n`` three-component traces
(``(3, --samples)`` float32 at 100 Hz, a P pick at 8 s, a random back-azimuth;
64 base waveforms scaled; written a bucket of 1024 traces at a time)
into a temporary folder (``$SCALE_TMP`` or the system's), and for each model:

- ``azimuth``: ``AzimuthNet`` (default configuration) on 0.5 s before to 2 s
  after P, 1-20 Hz, Adam on the circular loss of the back-azimuth;
- ``cluster``: the cluster workflow's ``ConvAutoencoder`` (channels from the
  input shape) on its default spectrograms (``FeatureConfig()``), Adam on MSE;

trains one epoch, batch 256, one torch thread, in three ways:

- ``streamed``: ``seislearn.data.streaming.streamed_loader`` reads each batch
  from the HDF5 archive (block-shuffled contiguous blocks) and cuts, filters
  and normalises it on the fly in ``--workers`` DataLoader workers;
- ``feature_cache``: the same features computed once in a streamed pass into a
  ``seislearn.features.cache`` store (``build_s``), then the epoch streamed
  from that store (contiguous batches in shuffled order);
- ``in_memory``: the features of the first ``--in-memory-max`` traces computed
  first (``prepare_s``, not in the rate), then the epoch over a ``TensorDataset``.

Peak memory is sampled every 0.2 s over this process and all its children
(``/proc/PID/smaps_rollup``), per phase: the RSS sum (shared pages counted in
every process) and the PSS sum (shared pages split, the memory really held).
The archive is deleted at the end. Usage::

    python benchmarks/scale_stream.py --n 10000 100000
    python benchmarks/scale_stream.py --n 2000 --in-memory-max 2000   # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RATE = 100.0
PICK_S = 8.0
BEFORE_S, AFTER_S = 0.5, 2.0


def _tree(root: int) -> list[int]:
    """``root`` and all its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [p for p, parent in parents.items() if parent == pid and p not in tree]
        tree.update(children)
        frontier.extend(children)
    return sorted(tree)


def tree_memory_bytes(root: int) -> tuple[int, int]:
    """Resident (RSS) and proportional (PSS) memory of a process tree, bytes.

    The RSS sum counts pages the processes share (a DataLoader worker forked
    from the main process shares its libraries and torch) once per process;
    the PSS sum splits each shared page between its processes, so it is the
    memory the tree really holds.
    """
    rss = pss = 0
    for pid in _tree(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            continue
    return rss, pss


class PeakMemory:
    """Samples the process tree's memory in a thread; ``peak`` (RSS) and ``peak_pss``, bytes."""

    def __enter__(self) -> PeakMemory:
        self.peak, self.peak_pss = tree_memory_bytes(os.getpid())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            rss, pss = tree_memory_bytes(os.getpid())
            self.peak, self.peak_pss = max(self.peak, rss), max(self.peak_pss, pss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class SyntheticLoader:
    """Waveforms made on demand from the trace number (the archive is written in buckets,
    never held whole in memory): 64 base waveforms, each a noise + P burst, scaled."""

    def __init__(self, samples: int) -> None:
        rng = np.random.default_rng(0)
        t = np.arange(samples) / RATE
        self.base = rng.standard_normal((64, 3, samples)).astype(np.float32) * 0.1
        onset = t >= PICK_S
        for k in range(64):  # a P arrival: a decaying 5 Hz burst from the pick on
            burst = np.sin(2 * np.pi * 5 * t[onset]) * np.exp(-(t[onset] - PICK_S))
            self.base[k][:, onset] += burst[None, :] * rng.uniform(0.5, 1.5, 3)[:, None]

    def load(self, row: pd.Series) -> np.ndarray:
        i = int(str(row["trace_name"])[2:])
        return self.base[i % 64] * np.float32(1 + i % 7)


def write_archive(path: Path, n: int, samples: int, bucket_size: int = 1024) -> None:
    """A SeisBench-format archive of ``n`` traces, one bucket of 1024 traces in memory at a time.

    The layout is the one ``write_seisbench`` writes (``data/bucket0_<k>`` of
    shape ``(1024, 3, samples)`` float32 chunked one trace per chunk, a
    ``data_format`` group, trace names ``bucket0_<k>$<row>,:3,:<samples>``),
    written a bucket per call instead of a trace per call so that 100,000
    traces take seconds; :func:`check_archive` reads it back through seislearn.
    """
    import h5py

    rng = np.random.default_rng(0)
    loader = SyntheticLoader(samples)
    path.mkdir(parents=True)
    names = []
    with h5py.File(path / "waveforms.hdf5", "w") as f:
        f.create_dataset("data_format/component_order", data="ZNE")
        f.create_dataset("data_format/dimension_order", data="CW")
        for k, start in enumerate(range(0, n, bucket_size)):
            ids = np.arange(start, min(start + bucket_size, n))
            block = loader.base[ids % 64] * (1 + ids % 7).astype(np.float32)[:, None, None]
            f.create_dataset(f"data/bucket0_{k}", data=block, chunks=(1, 3, samples))
            names += [f"bucket0_{k}${r},:3,:{samples}" for r in range(len(ids))]
    pd.DataFrame(
        {
            "trace_name": names,
            "trace_name_original": [f"tr{i:07d}" for i in range(n)],
            "source_id": [f"ev{i}" for i in range(n)],
            "trace_sampling_rate_hz": RATE,
            "trace_p_arrival_sample": round(PICK_S * RATE),
            "path_back_azimuth_deg": rng.uniform(0, 360, n),
            "split": "train",
        }
    ).to_csv(path / "metadata.csv", index=False)


def check_archive(archive, samples: int) -> None:
    """The archive read back through seislearn holds the waveforms the loader makes."""
    loader = SyntheticLoader(samples)
    for i in (0, len(archive) // 2, len(archive) - 1):
        row = pd.Series({"trace_name": f"tr{i:07d}"})
        np.testing.assert_array_equal(archive.get_waveform(i), loader.load(row))


def azimuth_batch(batch) -> tuple[np.ndarray, np.ndarray]:
    """The azimuth windows of one batch: cut, 1-20 Hz, one std over the 3 components."""
    from seislearn.data.windows import Preprocess, extract_windows

    preprocess = Preprocess(sampling_rate=1.0, freqmin=1.0, freqmax=20.0, normalize=None)
    windows, rows, _ = extract_windows(
        batch, "P", BEFORE_S, AFTER_S, preprocess, pad="zeros", preprocess_margin_s=2.0
    )
    windows = windows / windows.std(axis=(1, 2), keepdims=True)
    return windows.astype(np.float32), rows["path_back_azimuth_deg"].to_numpy(np.float32)


def cluster_batch(batch) -> tuple[np.ndarray]:
    """The cluster workflow's default spectrograms (``FeatureConfig()``: Z, 20 s from P - 2 s)."""
    from seislearn.cluster.features import FeatureConfig, compute_spectrograms

    return (compute_spectrograms(batch, FeatureConfig()).spectrograms.astype(np.float32),)


class AzimuthModel:
    """``AzimuthNet`` (default configuration), Adam, circular loss of the back-azimuth."""

    def __init__(self, example: tuple) -> None:
        import torch

        from seislearn.azimuth.api import net_arguments
        from seislearn.azimuth.config import AzimuthConfig
        from seislearn.azimuth.heads import AzimuthNet

        n_samples = round((BEFORE_S + AFTER_S) * RATE)
        p_index = round(BEFORE_S * RATE)
        self.net = AzimuthNet(**net_arguments(AzimuthConfig(), n_samples, (p_index - 5, 150), RATE))
        self.optimizer = torch.optim.Adam(self.net.parameters(), 1e-3)

    def step(self, batch: tuple) -> None:
        from seislearn.azimuth.losses import cosine_angle_loss

        x, baz = batch
        loss = cosine_angle_loss(self.net(x)["back_azimuth"], baz)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()


class ClusterModel:
    """The cluster workflow's ``ConvAutoencoder`` (channels from the input shape), Adam, MSE."""

    def __init__(self, example: tuple) -> None:
        import torch

        from seislearn.cluster.cae import ConvAutoencoder
        from seislearn.cluster.config import ModelConfig
        from seislearn.cluster.dec import auto_channels

        shape = tuple(example[0].shape[1:])
        config = ModelConfig()
        self.net = ConvAutoencoder(
            shape[0], shape[1:], channels=auto_channels(shape), latent_dim=config.latent_dim
        )
        self.optimizer = torch.optim.Adam(self.net.parameters(), 1e-3)

    def step(self, batch: tuple) -> None:
        import torch.nn.functional as F

        (x,) = batch
        loss = F.mse_loss(self.net(x), x)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()


MODELS = {"azimuth": (azimuth_batch, AzimuthModel), "cluster": (cluster_batch, ClusterModel)}


def one_epoch(model, loader) -> tuple[float, int]:
    """Seconds of one pass over ``loader`` with a training step per batch, and traces seen."""
    t0, seen = time.perf_counter(), 0
    for batch in loader:
        model.step(batch)
        seen += len(batch[0])
    return time.perf_counter() - t0, seen


def _row(n: int, seconds: float, memory: PeakMemory, **extra: float) -> dict:
    return {
        "traces_per_s": round(n / seconds, 1),
        "epoch_s": round(seconds, 1),
        **{k: round(v, 1) for k, v in extra.items()},
        "peak_rss_gib": round(memory.peak / 2**30, 3),
        "peak_pss_gib": round(memory.peak_pss / 2**30, 3),
    }


def measure_model(
    name: str, archive, tmp: Path, batch_size: int, workers: int, in_memory_max: int, phases
) -> dict:
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from seislearn.data.streaming import streamed_loader
    from seislearn.features.cache import CachedBatches, FeatureCache, cache_key

    make, Model = MODELS[name]
    n = len(archive)
    example = make(archive.select(np.arange(min(n, 8))))
    out: dict = {}
    torch.manual_seed(0)
    if "streamed" in phases:
        # windows cut, filtered and normalised on the fly by the DataLoader workers
        model = Model(example)
        loader = streamed_loader(archive, np.arange(n), make, batch_size, True, 0, workers)
        with PeakMemory() as memory:
            seconds, seen = one_epoch(model, loader)
        assert seen == n, (seen, n)
        out[f"streamed_{workers}_workers"] = _row(n, seconds, memory)
        print(f"  {name} streamed: {out[f'streamed_{workers}_workers']}", flush=True)
        del loader
    if "feature_cache" in phases:
        # features computed once in a streamed pass into a chunked HDF5 store, then each
        # epoch streamed from it (batches of contiguous rows, in shuffled order)
        model = Model(example)
        cache = FeatureCache(tmp / "cache")
        key = cache_key(f"{name}-{n}", {"before_s": BEFORE_S, "after_s": AFTER_S})
        with PeakMemory() as memory:
            t0 = time.perf_counter()
            ordered = streamed_loader(archive, np.arange(n), make, batch_size, num_workers=workers)
            batches = (tuple(t.numpy() for t in batch) for batch in ordered)
            names = ("x", "y")[: len(example)]
            cached = cache.get_or_build(key, batches, names)
            build_s = time.perf_counter() - t0
            loader = DataLoader(
                CachedBatches(cached, batch_size),
                batch_size=None,
                shuffle=True,
                generator=torch.Generator().manual_seed(0),
            )
            seconds, seen = one_epoch(model, loader)
        assert seen == n, (seen, n)
        out["feature_cache"] = _row(n, seconds, memory, build_s=build_s)
        out["feature_cache"]["cache_bytes"] = cache.path(key).stat().st_size
        print(f"  {name} feature cache: {out['feature_cache']}", flush=True)
        cache.path(key).unlink()
        del ordered, loader, cached
    if "in_memory" in phases:
        m = min(n, in_memory_max)
        model = Model(example)
        with PeakMemory() as memory:
            t0 = time.perf_counter()
            arrays = make(archive.select(np.arange(m)))
            prepare_s = time.perf_counter() - t0
            data = TensorDataset(*(torch.from_numpy(a) for a in arrays))
            loader = DataLoader(
                data,
                batch_size=batch_size,
                shuffle=True,
                generator=torch.Generator().manual_seed(0),
            )
            seconds, seen = one_epoch(model, loader)
        assert seen == m
        out["in_memory"] = {"traces": m, **_row(m, seconds, memory, prepare_s=prepare_s)}
        print(f"  {name} in memory ({m} traces): {out['in_memory']}", flush=True)
        del arrays, data, loader
        for key in list(out):
            if key != "in_memory":
                out[f"{key}_fraction_of_in_memory"] = round(
                    out[key]["traces_per_s"] / out["in_memory"]["traces_per_s"], 3
                )
    return out


def measure(
    n: int, samples: int, batch_size: int, workers: int, in_memory_max: int, phases, models
) -> dict:
    from seislearn.io import read_dataset

    out: dict = {"traces": n, "shape": [3, samples]}
    with tempfile.TemporaryDirectory(dir=os.environ.get("SCALE_TMP")) as tmp:
        path = Path(tmp) / "archive"
        t0 = time.perf_counter()
        with PeakMemory() as memory:
            write_archive(path, n, samples)
        out["archive_bytes"] = sum(p.stat().st_size for p in path.iterdir())
        out["write_s"] = round(time.perf_counter() - t0, 1)
        out["write_peak_rss_gib"] = round(memory.peak / 2**30, 3)
        print(
            f"{n} traces written ({out['archive_bytes'] / 2**30:.2f} GiB) in {out['write_s']} s",
            flush=True,
        )
        archive = read_dataset(path)
        check_archive(archive, samples)
        for name in models:
            out[name] = measure_model(
                name, archive, Path(tmp), batch_size, workers, in_memory_max, phases
            )
        archive.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--samples", type=int, default=3000, help="samples per channel")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers")
    parser.add_argument(
        "--in-memory-max", type=int, default=10000, help="traces of the in-memory subset"
    )
    parser.add_argument(
        "--phases", nargs="+", default=["streamed", "feature_cache", "in_memory"],
        choices=["streamed", "feature_cache", "in_memory"],
    )  # fmt: skip
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--out", default=str(HERE / "results" / "scale_stream.json"))
    args = parser.parse_args()
    import sys

    import torch

    torch.set_num_threads(1)
    load = os.getloadavg()[0]
    results = {
        "benchmark": "scale_stream",
        "command": " ".join(["python", *sys.argv]),
        "platform": platform.platform(),
        "processor_count": os.cpu_count(),
        "load_average_1min_at_start": round(load, 2),
        "conditions": f"shared 2-core CPU machine, 1-minute load average {load:.1f} at start; "
        f"one torch thread per process; batch {args.batch_size}; {args.workers} DataLoader "
        "workers for the streamed passes; peak RSS over the whole process tree, per phase",
        "sizes": [],
    }
    for n in args.n:
        sizes = (args.samples, args.batch_size, args.workers, args.in_memory_max)
        results["sizes"].append(measure(n, *sizes, args.phases, args.models))
        results["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")  # after each size
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
