"""Spectrogram throughput (3-component windows/s): batched torch STFT vs a per-trace scipy loop.

``seislearn.features.spectrogram.spectrogram`` on batches of ``(B, 3, N)``
windows, against ``scipy.signal.spectrogram`` called once per trace and
channel (the loop found in research scripts), on the same windows and
settings (presets ``spectra64`` and ``spectra32``, log10 PSD). SciPy's own
vectorized call (one call on the whole ``(n, 3, N)`` array) is listed too.
Torch runs with one thread (like SciPy) and with the default thread count.
Results are checked to agree before timing. Best of ``--repeat`` runs.

Usage::

    python benchmarks/spectrogram_throughput.py
    python benchmarks/spectrogram_throughput.py --n 500 --samples 3000
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from scipy import signal

from results_io import write_json
from seislearn.features.spectrogram import PRESETS, spectrogram

HERE = Path(__file__).resolve().parent


def _best(fn: Callable[[], object], repeat: int) -> float:
    fn()
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def measure(x: np.ndarray, sr: float, preset: str, batch: int, repeat: int) -> dict[str, float]:
    cfg = PRESETS[preset]
    noverlap = cfg.nperseg - cfg.hop
    n = len(x)

    def scipy_loop() -> list[np.ndarray]:
        out = []
        for window in x:
            channels = []
            for trace in window:
                _, _, s = signal.spectrogram(
                    trace, fs=sr, window=cfg.window, nperseg=cfg.nperseg, noverlap=noverlap
                )
                channels.append(np.log10(s + cfg.eps))
            out.append(np.stack(channels))
        return out

    def scipy_vectorized() -> np.ndarray:
        _, _, s = signal.spectrogram(
            x, fs=sr, window=cfg.window, nperseg=cfg.nperseg, noverlap=noverlap, axis=-1
        )
        return np.log10(s + cfg.eps)

    def ours() -> list[torch.Tensor]:
        return [spectrogram(x[s : s + batch], sr, cfg) for s in range(0, n, batch)]

    reference = np.stack(scipy_loop()[:8])
    np.testing.assert_allclose(
        10 ** ours()[0][:8].numpy(), 10**reference, rtol=1e-3, atol=1e-6 * (10**reference).max()
    )
    out: dict[str, float] = {}
    default_threads = torch.get_num_threads()
    for label, fn, threads in (
        ("scipy_per_trace_loop", scipy_loop, 1),
        ("scipy_vectorized", scipy_vectorized, 1),
        ("seislearn_torch_1_thread", ours, 1),
        (f"seislearn_torch_{default_threads}_threads", ours, default_threads),
    ):
        torch.set_num_threads(threads)
        out[label] = round(n / _best(fn, repeat), 1)
        print(f"  {label:<30}{out[label]:>12,.0f} windows/s")
    torch.set_num_threads(default_threads)
    out["speedup_1_thread_vs_scipy_loop"] = round(
        out["seislearn_torch_1_thread"] / out["scipy_per_trace_loop"], 2
    )
    print(f"  speed-up (1 thread) vs the scipy loop: {out['speedup_1_thread_vs_scipy_loop']}x")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000, help="3-component windows")
    parser.add_argument(
        "--samples", type=int, default=400, help="samples per window (4 s at 100 Hz)"
    )
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=str(HERE / "results" / "spectrogram_throughput.json"))
    args = parser.parse_args()
    x = np.random.default_rng(0).standard_normal((args.n, 3, args.samples)).astype(np.float32)
    results: dict[str, object] = {
        "benchmark": "spectrogram_throughput",
        "unit": "3-component windows per second (best of repeats)",
        "windows": args.n,
        "samples_per_window": args.samples,
        "sampling_rate_hz": 100.0,
        "batch": args.batch,
        "platform": platform.platform(),
        "processor_count": os.cpu_count(),
        "torch": torch.__version__,
        "note": "shared 2-core machine under load from other users: absolute numbers are noisy",
    }
    for preset in ("spectra64", "spectra32"):
        print(preset)
        results[preset] = measure(x, 100.0, preset, args.batch, args.repeat)
    write_json(results, args.out)


if __name__ == "__main__":
    main()
