"""One training epoch of the azimuth network streamed from a SeisBench archive vs in memory.

Writes a synthetic SeisBench-format archive of ``--n`` three-component traces
(``(3, --samples)`` float32 at 100 Hz, a P pick at 3 s, a random back-azimuth;
64 base waveforms scaled, so writing is fast) into a temporary folder, then
trains the azimuth network (``AzimuthNet``, default configuration: 0.5 s before
to 2 s after P, 1-20 Hz, covariance features) for one epoch, batch 256, one
torch thread, plain Adam on the circular loss of the back-azimuth:

- ``in_memory``: every window cut, filtered and normalised first (that time is
  reported apart), then the epoch over a ``TensorDataset``;
- ``streamed``: ``seislearn.data.streaming.streamed_loader`` cuts, filters and
  normalises each batch on the fly from the HDF5 archive (0 and 2 workers);
- ``feature_cache``: the windows written once into a ``seislearn.features.cache``
  store (build time reported apart), the epoch read from it batch by batch.

Peak resident memory is sampled every 50 ms over this process and all its
children (``/proc``), per phase. Usage::

    python benchmarks/scale_stream.py --n 10000 30000
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
BEFORE_S, AFTER_S = 0.5, 2.0


def tree_rss_bytes(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, bytes (Linux /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [p for p, parent in parents.items() if parent == pid and p not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(rss.get(p, 0) for p in tree)


class PeakMemory:
    """Samples the process tree's resident memory in a thread; ``peak`` in bytes."""

    def __enter__(self) -> PeakMemory:
        self.peak = tree_rss_bytes(os.getpid())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, tree_rss_bytes(os.getpid()))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def write_archive(path: Path, n: int, samples: int) -> None:
    from seislearn.data.dataset import ArrayLoader, WaveformDataset
    from seislearn.io.seisbench import write_seisbench

    rng = np.random.default_rng(0)
    t = np.arange(samples) / RATE
    base = rng.standard_normal((64, 3, samples)).astype(np.float32) * 0.1
    onset = t >= 3.0
    for k in range(64):  # a P arrival: a decaying 5 Hz burst from 3 s on
        base[k, :, onset] += (np.sin(2 * np.pi * 5 * t[onset]) * np.exp(-(t[onset] - 3)))[
            :, None
        ] * rng.uniform(0.5, 1.5, 3)
    names = [f"tr{i:07d}" for i in range(n)]
    meta = pd.DataFrame(
        {
            "trace_name": names,
            "source_id": [f"ev{i}" for i in range(n)],
            "trace_sampling_rate_hz": RATE,
            "trace_p_arrival_sample": 300,
            "path_back_azimuth_deg": rng.uniform(0, 360, n),
            "split": "train",
        }
    )
    waves = {name: base[i % 64] * (1 + i % 7) for i, name in enumerate(names)}
    write_seisbench(WaveformDataset(meta, ArrayLoader(waves)), path, bucket_size=1024)


def make_windows(batch) -> tuple[np.ndarray, np.ndarray]:
    """The azimuth windows of one batch: cut, 1-20 Hz, one std over the 3 components."""
    from seislearn.data.windows import Preprocess, extract_windows

    preprocess = Preprocess(sampling_rate=1.0, freqmin=1.0, freqmax=20.0, normalize=None)
    windows, rows, _ = extract_windows(
        batch, "P", BEFORE_S, AFTER_S, preprocess, pad="zeros", preprocess_margin_s=2.0
    )
    windows = windows / windows.std(axis=(1, 2), keepdims=True)
    return windows.astype(np.float32), rows["path_back_azimuth_deg"].to_numpy(np.float32)


def one_epoch(loader) -> tuple[float, int]:
    import torch

    from seislearn.azimuth.api import net_arguments
    from seislearn.azimuth.config import AzimuthConfig
    from seislearn.azimuth.heads import AzimuthNet
    from seislearn.azimuth.losses import cosine_angle_loss

    n_samples = round((BEFORE_S + AFTER_S) * RATE)
    p_index = round(BEFORE_S * RATE)
    net = AzimuthNet(**net_arguments(AzimuthConfig(), n_samples, (p_index - 5, 150), RATE))
    optimizer = torch.optim.Adam(net.parameters(), 1e-3)
    t0, seen = time.perf_counter(), 0
    for x, baz in loader:
        loss = cosine_angle_loss(net(x)["back_azimuth"], baz)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seen += len(x)
    return time.perf_counter() - t0, seen


def measure(n: int, samples: int, batch_size: int) -> dict:
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from seislearn.data.streaming import streamed_loader
    from seislearn.features.cache import CachedBatches, FeatureCache, cache_key
    from seislearn.io import read_dataset
    from seislearn.runs import fingerprint_path

    out: dict = {"traces": n, "shape": [3, samples]}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "archive"
        t0 = time.perf_counter()
        write_archive(path, n, samples)
        out["archive_bytes"] = sum(p.stat().st_size for p in path.iterdir())
        out["write_s"] = round(time.perf_counter() - t0, 1)
        print(f"{n} traces written ({out['archive_bytes'] / 2**30:.2f} GiB) in {out['write_s']} s")
        archive = read_dataset(path)
        for workers in (0, 2):
            loader = streamed_loader(
                archive, np.arange(n), make_windows, batch_size, True, 0, workers
            )
            with PeakMemory() as memory:
                seconds, seen = one_epoch(loader)
            assert seen == n
            key = f"streamed_{workers}_workers"
            out[key] = {
                "traces_per_s": round(n / seconds, 1),
                "epoch_s": round(seconds, 1),
                "peak_rss_gib": round(memory.peak / 2**30, 3),
            }
            print(f"  {key}: {out[key]}")
            del loader
        cache = FeatureCache(Path(tmp) / "cache")
        key = cache_key(fingerprint_path(path), {"before_s": BEFORE_S, "after_s": AFTER_S})
        with PeakMemory() as memory:
            t0 = time.perf_counter()
            ordered = streamed_loader(archive, np.arange(n), make_windows, batch_size)
            batches = ((x.numpy(), y.numpy()) for x, y in ordered)
            cached = cache.get_or_build(key, batches, ("windows", "back_azimuth_deg"))
            build_s = time.perf_counter() - t0
            loader = DataLoader(
                CachedBatches(cached, batch_size),
                batch_size=None,
                shuffle=True,
                generator=torch.Generator().manual_seed(0),
            )
            seconds, seen = one_epoch(loader)
        assert seen == n
        out["feature_cache"] = {
            "traces_per_s": round(n / seconds, 1),
            "epoch_s": round(seconds, 1),
            "build_s": round(build_s, 1),
            "peak_rss_gib": round(memory.peak / 2**30, 3),
        }
        print(f"  feature_cache: {out['feature_cache']}")
        with PeakMemory() as memory:
            t0 = time.perf_counter()
            windows, baz = make_windows(archive)
            prepare_s = time.perf_counter() - t0
            data = TensorDataset(torch.from_numpy(windows), torch.from_numpy(baz))
            loader = DataLoader(
                data,
                batch_size=batch_size,
                shuffle=True,
                generator=torch.Generator().manual_seed(0),
            )
            seconds, seen = one_epoch(loader)
        out["in_memory"] = {
            "traces_per_s": round(n / seconds, 1),
            "epoch_s": round(seconds, 1),
            "prepare_s": round(prepare_s, 1),
            "peak_rss_gib": round(memory.peak / 2**30, 3),
        }
        print(f"  in_memory: {out['in_memory']}")
        for key in ("streamed_0_workers", "streamed_2_workers", "feature_cache"):
            out[f"{key}_fraction_of_in_memory"] = round(
                out[key]["traces_per_s"] / out["in_memory"]["traces_per_s"], 3
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, nargs="+", default=[10000, 30000])
    parser.add_argument("--samples", type=int, default=1200, help="samples per channel")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--out", default=str(HERE / "results" / "scale_stream.json"))
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    load = os.getloadavg()[0]
    results = {
        "benchmark": "scale_stream",
        "platform": platform.platform(),
        "processor_count": os.cpu_count(),
        "conditions": f"shared 2-core CPU machine, 1-minute load average {load:.1f} at start; "
        "one torch thread; streamed epochs run first, so the page cache holds the archive",
        "sizes": [measure(n, args.samples, args.batch_size) for n in args.n],
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
