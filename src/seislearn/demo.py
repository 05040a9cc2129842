"""The demo: synthetic data end to end, written as one run with ``report.html``.

Generates physics-shaped synthetic events, writes them in SeisBench format,
reads them back, and reports waveforms and spectrograms. Each workflow adds a
section of its own (registered in :data:`DEMO_STEPS`) that sets the method next
to its classic baseline, so that ``seislearn demo`` shows the whole toolkit in
a few minutes on a laptop CPU.

A demo run is made of stages (``data`` and one per workflow). Each finished
stage leaves its report section in ``RUN/demo_stages/STAGE.json``: ``resume``
runs only the stages that have not finished (after an interruption, or to add
a stage), ``overwrite`` starts again.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from seislearn.errors import ConfigError, RunExistsError
from seislearn.report.html import Section, write_report
from seislearn.runs import RunDir, write_json_atomic

log = logging.getLogger(__name__)

#: Workflow stages: name -> dotted path of ``(run: RunDir, data_dir: Path, seed: int, quick: bool) -> Section``.
DEMO_STEPS: dict[str, str] = {
    "azimuth": "seislearn.azimuth.demo:demo_section",
    "cluster": "seislearn.cluster.demo:demo_section",
    "classify": "seislearn.explain.demo:demo_section",
    "images": "seislearn.images.demo:demo_section",
    "papers": "seislearn.papers.demo:demo_section",
}

#: Expected seconds of each stage on a nearly idle 2-core machine with one torch thread
#: (benchmarks/results/demo_timing_main.json); they only scale the time-left estimate.
EXPECTED_S: dict[bool, dict[str, float]] = {
    False: {"data": 3, "azimuth": 30, "cluster": 28, "classify": 26, "images": 18, "papers": 1},
    True: {"data": 2, "azimuth": 6, "cluster": 6, "classify": 8, "images": 8, "papers": 4},
}

_STAGES = "demo_stages"


def parse_steps(text: str | None) -> list[str] | None:
    """The workflow stages named in a comma-separated list, in the demo's order.

    Raises
    ------
    ConfigError
        If a name is not a demo stage; the message lists the valid names.
    """
    if text is None:
        return None
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in names if s not in DEMO_STEPS]
    if unknown:
        raise ConfigError(
            f"unknown demo step{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"valid steps: {', '.join(DEMO_STEPS)}"
        )
    return [s for s in DEMO_STEPS if s in names]


def _format_s(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s"


class StageProgress:
    """One line per stage on ``stream``: which stage, how long it took, the time left.

    The time left is the expected time of the stages still to run
    (:data:`EXPECTED_S`) scaled by how fast the finished stages ran against
    their own expectation, so a busy machine gets a longer estimate.
    """

    def __init__(
        self, stages: list[str], expected: dict[str, float], stream: TextIO | None = None
    ) -> None:
        self.stages = stages
        self.expected = expected
        self.stream = stream if stream is not None else sys.stderr
        self.done_expected = 0.0
        self.done_actual = 0.0
        self.t0 = time.perf_counter()

    def _left(self, remaining: list[str]) -> float:
        speed = self.done_actual / self.done_expected if self.done_expected > 0 else 1.0
        return speed * sum(self.expected.get(s, 10.0) for s in remaining)

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def start(self, index: int, stage: str, what: str) -> None:
        """Say that ``stage`` starts and how long it and the whole demo should still take."""
        remaining = self.stages[index:]
        self._print(
            f"[{index + 1}/{len(self.stages)}] {stage}: {what} "
            f"(about {_format_s(self._left([stage]))}; demo about "
            f"{_format_s(self._left(remaining))} left)"
        )

    def finish(self, index: int, stage: str, seconds: float, skipped: bool = False) -> None:
        """Say that ``stage`` finished (or was already finished) and record its speed."""
        if skipped:
            self._print(f"[{index + 1}/{len(self.stages)}] {stage}: already finished, kept")
            return
        self.done_expected += self.expected.get(stage, 10.0)
        self.done_actual += seconds
        self._print(f"[{index + 1}/{len(self.stages)}] {stage}: done in {_format_s(seconds)}")


def _data_section(run: RunDir, data_dir: Path, n: int, seed: int) -> Section:
    from seislearn.data.identity import display_names
    from seislearn.data.synthetic import make_events
    from seislearn.features.spectrogram import PRESETS, frequencies, spectrogram, times
    from seislearn.io import read_dataset
    from seislearn.io.seisbench import write_seisbench
    from seislearn.report.plots import plot_spectrogram, plot_waveform

    synthetic = make_events(n, seed=seed)
    write_seisbench(synthetic, data_dir, overwrite=True)
    dataset = read_dataset(data_dir)
    waves = dataset.load_all()
    same = all(np.array_equal(a, b) for a, b in zip(waves, synthetic.load_all(), strict=True))
    meta = dataset.metadata
    names = display_names(meta)
    section = Section("Data: synthetic events")
    section.add_text(
        f"{len(dataset)} synthetic 3-component events (100 Hz, 60 s, ZNE) written in SeisBench "
        f"format to {data_dir} and read back: "
        + (
            "identical to the generated waveforms."
            if same
            else "DIFFERENT from the generated ones!"
        )
        + " The cluster and classify stages use these events; the azimuth and images stages "
        "make their own data (said in their sections)."
    )
    counts = meta.groupby(["split", "source_type"]).size().unstack(fill_value=0)
    counts = counts.reindex([s for s in ("train", "dev", "test") if s in counts.index])
    section.add_table(
        "traces per split (by event) and source population",
        ["split", *[str(c).replace("_", " ") for c in counts.columns], "total"],
        [[idx, *row.tolist(), int(row.sum())] for idx, row in counts.iterrows()],
    )
    for i in range(min(2, len(dataset))):
        row = meta.iloc[i]
        title = (
            f"event {i + 1}: M{row['source_magnitude']:.1f}, back-azimuth "
            f"{row['path_back_azimuth_deg']:.0f} deg, "
            f"{row['path_ep_distance_km']:.0f} km, SNR {row['trace_snr_db']:.0f} dB"
        )
        fig = plot_waveform(
            waves[i],
            row["trace_sampling_rate_hz"],
            picks={"P": row["trace_p_arrival_sample"], "S": row["trace_s_arrival_sample"]},
            title=title,
            unit="arb. units",
        )
        section.add_figure(
            run.save_figure(fig, f"waveform_{i}"),
            f"Synthetic {title} (trace {names[i]}). Look for the P arrival (blue "
            "line), strongest on Z, and the larger S arrival (red line) on the horizontals.",
        )
        p = int(row["trace_p_arrival_sample"])
        window = waves[i][:, max(0, p - 500) : p + 2000]
        sr = float(row["trace_sampling_rate_hz"])
        cfg = PRESETS["spectra64"]
        spec = spectrogram(window[None], sr, cfg)[0].numpy()
        fig = plot_spectrogram(spec, frequencies(cfg, sr), times(cfg, window.shape[-1], sr))
        section.add_figure(
            run.save_figure(fig, f"spectrogram_{i}"),
            f"Spectra64 log-power spectrograms of event {i + 1}, 5 s before P to 20 s after "
            "(the classify input): P starts at 5 s; the source's corner frequency sets how "
            "far up in frequency the energy reaches.",
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


_WHAT = {
    "data": "synthesize events, write SeisBench files and read them back",
    "azimuth": "back-azimuth model vs polarization analysis",
    "cluster": "autoencoder + DEC vs KMeans",
    "classify": "spectrogram CNN vs baselines, then SHAP maps",
    "images": "self-supervised features + KMeans vs KMeans on pixels",
    "papers": "the literature database and its explorer page",
}


def _open_run(out: Path, params: dict[str, Any], overwrite: bool, resume: bool) -> RunDir:
    """The demo's run folder: new, replaced (``overwrite``) or continued (``resume``)."""
    stages = out / _STAGES
    if resume and (stages / "demo.json").is_file():
        before = json.loads((stages / "demo.json").read_text(encoding="utf-8"))
        if before != params:
            changed = ", ".join(
                f"{k} {before.get(k)!r} -> {v!r}" for k, v in params.items() if before.get(k) != v
            )
            raise RunExistsError(
                f"{out} holds a demo made with other settings ({changed}); run it with the same "
                "settings to resume, or pass --overwrite to start again"
            )
        return RunDir.open(out)
    if resume and out.exists() and any(out.iterdir()):
        raise RunExistsError(
            f"{out} holds no demo to resume; choose another --out, or pass --overwrite"
        )
    try:
        run = RunDir(out, overwrite=overwrite)
    except RunExistsError as exc:
        if (stages / "demo.json").is_file():
            raise RunExistsError(
                f"{out} already holds a demo run; pass --resume to run only its unfinished "
                "stages and rewrite the report, --overwrite to run it again from the start, "
                "or choose another --out"
            ) from exc
        raise
    if overwrite and stages.is_dir():
        import shutil

        shutil.rmtree(stages)
    write_json_atomic(stages / "demo.json", params)
    return run


def run_demo(
    out: str | os.PathLike,
    n: int = 400,
    seed: int = 0,
    overwrite: bool = False,
    quick: bool = False,
    steps: list[str] | None = None,
    resume: bool = False,
    stream: TextIO | None = None,
) -> Path:
    """Run the demo and return the path of ``report.html``.

    Parameters
    ----------
    out : path-like, run directory
    n : int, number of synthetic events of the shared data (cluster and classify)
    seed : int
    overwrite : bool, replace an existing run in ``out``
    quick : bool, tiny sizes (for tests): seconds instead of minutes; numbers are not meaningful
    steps : list of str, optional, only these workflow stages (names in :data:`DEMO_STEPS`)
    resume : bool, continue a demo in ``out``: run only the stages not finished yet
    stream : text stream, where the progress lines go (default ``sys.stderr``)

    Raises
    ------
    RunExistsError
        If ``out`` holds a run and neither ``overwrite`` nor ``resume`` is set, or
        ``resume`` finds a demo made with other settings.
    ConfigError
        If ``steps`` names a stage that does not exist.
    """
    if steps is not None:
        steps = parse_steps(",".join(steps))
    out = Path(out)
    params = {"n": n, "seed": seed, "quick": quick}
    run = _open_run(out, params, overwrite, resume)
    run.write_manifest("demo", seed=seed, extra={**params, "finished": False})
    data_dir = run.path / "data"
    chosen = [s for s in DEMO_STEPS if steps is None or s in steps]
    stages = ["data", *chosen]
    progress = StageProgress(stages, EXPECTED_S[quick], stream)
    cpu_s: dict[str, float] = {}
    sections: list[Section] = []
    for index, stage in enumerate(stages):
        saved = run.path / _STAGES / f"{stage}.json"
        if saved.is_file():
            sections.append(Section.from_dict(json.loads(saved.read_text(encoding="utf-8"))))
            progress.finish(index, stage, 0.0, skipped=True)
            continue
        if stage == "data":
            step: Callable[..., Section] | None = None
        else:
            step = _load_step(DEMO_STEPS[stage])
            if step is None:
                log.warning("demo step %s is not installed; skipped", stage)
                continue
        progress.start(index, stage, _WHAT[stage])
        t0, c0 = time.perf_counter(), time.process_time()
        with run.timed(stage):
            if step is None:
                section = _data_section(run, data_dir, n, seed)
            else:
                section = step(run, data_dir, seed, quick)
        cpu_s[stage] = round(time.process_time() - c0, 3)
        progress.finish(index, stage, time.perf_counter() - t0)
        write_json_atomic(saved, section.to_dict())
        sections.append(section)
    if not cpu_s:
        print(
            f"every stage of the demo in {out} had already finished: report rewritten; "
            "pass --overwrite to run the demo again",
            file=progress.stream,
            flush=True,
        )
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    run.write_manifest(
        "demo",
        seed=seed,
        data=data_dir,
        extra={
            **params,
            "steps": chosen,
            "finished": True,
            "cpu_s": cpu_s,
            "cpu_count": os.cpu_count(),
            "load_average_at_end": list(load) if load else None,
        },
    )
    subtitle = f"seed {seed}; every figure and number below was computed in this run." + (
        " Quick mode: tiny sizes and one or two epochs, so the numbers are not meaningful."
        if quick
        else ""
    )
    return write_report(run.path / "report.html", "seislearn demo", sections, subtitle=subtitle)
