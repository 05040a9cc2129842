"""The demo: synthetic data end to end, written as one run with ``report.html``.

Generates physics-shaped synthetic events, writes them in SeisBench format,
reads them back, and reports waveforms and spectrograms. Each workflow adds a
short section of its own (registered in :data:`DEMO_STEPS`) so that
``seislearn demo`` shows the whole toolkit in a few minutes on a laptop CPU.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from seislearn.report.html import Section, write_report
from seislearn.runs import RunDir

log = logging.getLogger(__name__)

#: Workflow demo steps: dotted path of a function ``(run: RunDir, data_dir: Path, seed: int, quick: bool) -> Section``.
DEMO_STEPS: tuple[str, ...] = (
    "seislearn.azimuth.demo:demo_section",
    "seislearn.cluster.demo:demo_section",
    "seislearn.explain.demo:demo_section",
    "seislearn.images.demo:demo_section",
    "seislearn.papers.demo:demo_section",
)


def _data_section(run: RunDir, data_dir: Path, n: int, seed: int) -> Section:
    from seislearn.data.synthetic import make_events
    from seislearn.features.spectrogram import PRESETS, frequencies, spectrogram, times
    from seislearn.io import read_dataset
    from seislearn.io.seisbench import write_seisbench
    from seislearn.report.plots import plot_spectrogram, plot_waveform

    with run.timed("synthesize"):
        synthetic = make_events(n, seed=seed)
        write_seisbench(synthetic, data_dir, overwrite=True)
    with run.timed("read_back"):
        dataset = read_dataset(data_dir)
        waves = dataset.load_all()
    same = all(np.array_equal(a, b) for a, b in zip(waves, synthetic.load_all(), strict=True))
    meta = dataset.metadata
    section = Section("Data: synthetic events")
    section.add_text(
        f"{len(dataset)} synthetic 3-component events (100 Hz, 60 s, ZNE) written in SeisBench "
        f"format to {data_dir} and read back: "
        + (
            "identical to the generated waveforms."
            if same
            else "DIFFERENT from the generated ones!"
        )
    )
    counts = meta.groupby(["split", "source_type"]).size().unstack(fill_value=0)
    section.add_table(
        "traces per split and source population",
        ["split", *counts.columns.tolist()],
        [[idx, *row.tolist()] for idx, row in counts.iterrows()],
    )
    for i in range(min(2, len(dataset))):
        row = meta.iloc[i]
        title = (
            f"{row['trace_name']}  M{row['source_magnitude']:.1f}  "
            f"baz {row['path_back_azimuth_deg']:.0f} deg  SNR {row['trace_snr_db']:.0f} dB"
        )
        fig = plot_waveform(
            waves[i],
            row["trace_sampling_rate_hz"],
            picks={"P": row["trace_p_arrival_sample"], "S": row["trace_s_arrival_sample"]},
            title=title,
        )
        section.add_figure(
            run.save_figure(fig, f"waveform_{i}"), f"Waveform {title}; P blue, S red"
        )
        p = int(row["trace_p_arrival_sample"])
        window = waves[i][:, max(0, p - 500) : p + 2000]
        sr = float(row["trace_sampling_rate_hz"])
        cfg = PRESETS["spectra64"]
        spec = spectrogram(window[None], sr, cfg)[0].numpy()
        fig = plot_spectrogram(
            spec,
            frequencies(cfg, sr),
            times(cfg, window.shape[-1], sr),
            title="",
        )
        section.add_figure(
            run.save_figure(fig, f"spectrogram_{i}"),
            "Spectra64 log-power spectrogram, 5 s before P to 20 s after",
        )
    return section


def _load_step(spec: str) -> Callable[..., Section] | None:
    module_name, _, func = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    return getattr(module, func)


def run_demo(
    out: str | os.PathLike,
    n: int = 400,
    seed: int = 0,
    overwrite: bool = False,
    quick: bool = False,
    steps: list[str] | None = None,
) -> Path:
    """Run the demo and return the path of ``report.html``.

    Parameters
    ----------
    out : path-like, run directory
    n : int, number of synthetic events
    seed : int
    overwrite : bool, replace an existing run in ``out``
    quick : bool, tiny sizes (for tests): seconds instead of minutes
    steps : list of str, optional, only these workflow sections (``azimuth``, ``cluster``, ...)
    """
    run = RunDir(out, overwrite=overwrite)
    data_dir = run.path / "data"
    sections = [_data_section(run, data_dir, n, seed)]
    for spec in DEMO_STEPS:
        name = spec.split(".")[-1].split("_demo")[0]
        if steps is not None and name not in steps:
            continue
        step = _load_step(spec)
        if step is None:
            continue
        log.info("demo step %s", name)
        with run.timed(name):
            sections.append(step(run, data_dir, seed, quick))
    run.write_manifest("demo", seed=seed, data=data_dir, extra={"n_events": n, "quick": quick})
    return write_report(
        run.path / "report.html",
        "seislearn demo",
        sections,
        subtitle=f"seed {seed}; every figure and number below was computed in this run.",
    )
