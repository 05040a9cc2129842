"""``seislearn data``: inspect, check, convert and synthesize datasets."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from seislearn.cli.common import formatter

if TYPE_CHECKING:
    from seislearn.data.dataset import WaveformDataset
    from seislearn.data.synthetic import SyntheticConfig

#: Exit status of ``data check`` when it finds a problem at or above ``--fail-on``.
CHECK_FAILED = 3

EPILOG = """\
examples:
  seislearn data info ../shared/data/seisbench_dummy
  seislearn data check ../shared/data/ncedc_phasenet
  seislearn data check YOUR_STEAD_FOLDER --on-error skip --out problems.csv   # your archive
  seislearn data check ../shared/data/ncedc_phasenet --all     # every row, not the first 10
  seislearn data convert ../shared/data/ncedc_phasenet ncedc_sb   # to SeisBench format
  seislearn data convert YOUR_MSEED_FOLDER events_sb --format obspy --on-error skip
  seislearn data synth events --n 1000 --out synth --seed 1
  seislearn data synth images --n 400 --out patches --seed 1
"""


CHECK_EPILOG = f"""\
exit status: 0 when no problem at or above --fail-on was found (warnings alone pass by
default), {CHECK_FAILED} when one was (the report says which), 1 when the check could not run
(a path or format it cannot read).

examples:
  seislearn data check ../shared/data/ncedc_phasenet     # warnings only: exit status 0
  seislearn data check ../shared/data/ncedc_phasenet --all --out problems.csv
  seislearn data check YOUR_STEAD_FOLDER --on-error skip --fail-on warning
"""


SYNTH_EPILOG = """\
examples:
  seislearn data synth events --n 3000 --out synth --seed 1
  seislearn data synth events --n 3000 --out synth_pb --sampling-rate 20 \\
      --noise-from ../shared/data/seisbench_dummy   # 20 Hz data; your station's noise, no labels
  seislearn data synth events --n 3000 --out synth_broad --physics broad   # broader physics
"""


def add_synth_event_options(parser: argparse.ArgumentParser) -> None:
    """The physics options of ``data synth events`` (also parsed by the sim2real benchmark)."""
    parser.add_argument(
        "--physics",
        default="ideal",
        choices=("ideal", "broad"),
        help="preset: ideal (default; the original generator, which transferred best to real "
        "data with --noise-from, docs/azimuth.md) or broad (SyntheticConfig.broad: local to "
        "intermediate-depth events, near-surface velocity and resonance, broadband sensor, "
        "varied P coda and noise, a random station per event)",
    )
    parser.add_argument(
        "--sampling-rate",
        type=float,
        default=None,
        help="Hz (default: the rate of --noise-from's recordings, else 100); match your data",
    )
    parser.add_argument("--snr-db", nargs=2, type=float, default=None, metavar=("MIN", "MAX"))
    parser.add_argument(
        "--distance-km",
        nargs=2,
        type=float,
        default=None,
        metavar=("MIN", "MAX"),
        help="epicentral distance range, km (broad: 5 250; ideal: 5 80)",
    )
    parser.add_argument(
        "--depth-km",
        nargs=2,
        type=float,
        default=None,
        metavar=("MIN", "MAX"),
        help="source depth range, km (broad: 2 200; ideal: 2 20)",
    )
    parser.add_argument(
        "--surface-vp",
        nargs=2,
        type=float,
        default=None,
        metavar=("MIN", "MAX"),
        help="near-surface P velocity, km/s, sets the incidence (broad: 2 5.5; ideal: 4 4)",
    )
    parser.add_argument(
        "--instrument",
        default=None,
        choices=("ideal", "broadband", "short_period"),
        help="sensor and anti-alias response (broad: broadband; ideal: ideal)",
    )
    parser.add_argument(
        "--resonance",
        default=None,
        choices=("on", "off"),
        help="a near-surface resonance per trace (broad: on)",
    )
    parser.add_argument(
        "--p-coda",
        nargs=2,
        type=float,
        default=None,
        metavar=("MIN", "MAX"),
        help="scattered P coda amplitude relative to P (broad: 0.1 0.6; ideal: 0.35 0.35)",
    )
    parser.add_argument(
        "--noise-model",
        default=None,
        choices=("coloured", "varied"),
        help="one noise spectrum, or colour/H-V/directionality drawn per trace (broad: varied)",
    )
    parser.add_argument(
        "--site",
        default=None,
        choices=("ideal", "typical", "random"),
        help="the reference station: ideal; typical (4 degrees misoriented, a back-azimuth-"
        "dependent P polarization deviation up to ~9 degrees, half the noise Rayleigh-type "
        "from one azimuth, SiteEffects.typical); random (another station per event, "
        "SiteEffects.random; the broad default)",
    )
    parser.add_argument(
        "--noise-from",
        metavar="DATASET",
        default=None,
        help="real noise: pre-P stretches of these (unlabelled) traces, P from picks or an "
        "STA/LTA; no labels are read",
    )
    parser.add_argument(
        "--noise-from-fraction",
        type=float,
        default=0.75,
        help="share of traces with real noise when --noise-from is given (default 0.75)",
    )
    parser.add_argument(
        "--noise-fraction", type=float, default=0.0, help="share of noise-only traces"
    )
    parser.add_argument("--stations-per-event", type=int, default=1)


def synthetic_config_from_args(args: argparse.Namespace) -> SyntheticConfig:
    """The :class:`~seislearn.data.synthetic.SyntheticConfig` that ``args`` ask for."""
    from seislearn.data.synthetic import SiteEffects, SyntheticConfig

    changes: dict = {
        "noise_fraction": args.noise_fraction,
        "stations_per_event": args.stations_per_event,
    }
    pairs = {
        "snr_db": "snr_db_range",
        "distance_km": "distance_range_km",
        "depth_km": "depth_range_km",
        "surface_vp": "surface_vp_range_km_s",
        "p_coda": "p_coda_ratio_range",
    }
    for option, name in pairs.items():
        if getattr(args, option) is not None:
            changes[name] = tuple(getattr(args, option))
    if args.sampling_rate is not None:
        changes["sampling_rate"] = args.sampling_rate
    if args.instrument is not None:
        changes["instrument"] = args.instrument
    if args.resonance is not None:
        changes["site_resonance"] = args.resonance == "on"
    if args.noise_model is not None:
        changes["noise_model"] = args.noise_model
    if args.site is not None:
        changes["random_sites"] = args.site == "random"
        changes["site"] = SiteEffects.typical() if args.site == "typical" else SiteEffects()
    if args.noise_from:
        from seislearn.data.noise import NoiseBank

        bank = NoiseBank.from_dataset(_read(args.noise_from, "auto", "skip"))
        changes["noise_bank"] = bank
        changes["noise_bank_fraction"] = args.noise_from_fraction
        if args.sampling_rate is None:
            # Synthetic events at the rate of the recordings they are to stand for.
            changes["sampling_rate"] = bank.sampling_rate
    preset = SyntheticConfig.broad if args.physics == "broad" else SyntheticConfig.ideal
    return preset(**changes)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "data",
        help="inspect, check, convert and synthesize waveform datasets",
        description="Work with waveform datasets in SeisBench, STEAD, NPZ (PhaseNet) or "
        "ObsPy-readable (MiniSEED, SAC) formats. All are read into one model: SeisBench "
        "metadata columns and float32 (channels, samples) waveforms in ZNE order.",
        epilog=EPILOG,
        formatter_class=formatter(),
    )
    sub = p.add_subparsers(dest="data_command", metavar="ACTION")

    info = sub.add_parser("info", help="summarize a dataset (traces, columns, rates, splits)")
    info.add_argument("path", help="dataset folder or file")
    info.add_argument("--format", default="auto", help="dataset format (default: detected)")
    info.set_defaults(func=_info)

    check = sub.add_parser(
        "check",
        help="report bad traces: dead or flat channels, NaN, channel count, sampling rate, "
        "duplicate names, MiniSEED overlaps, clipping, picks outside, back-azimuth vs coordinates",
        description="Read every trace and report its problems, each with the trace's name, "
        "the check and its severity (error or warning).",
        epilog=CHECK_EPILOG,
        formatter_class=formatter(),
    )
    check.add_argument("path", help="dataset folder or file")
    check.add_argument("--format", default="auto", help="dataset format (default: detected)")
    check.add_argument(
        "--out",
        metavar="CSV",
        help="write the per-trace problems to this CSV (position, trace_name: the user's "
        "name, check, severity, detail, trace_name_seisbench)",
    )
    check.add_argument(
        "--overwrite", action="store_true", help="replace the --out file if it exists"
    )
    check.add_argument(
        "--all",
        dest="all_rows",
        action="store_true",
        help="list every problem row (default: the first 10 of each check)",
    )
    check.add_argument(
        "--on-error",
        default="raise",
        choices=("raise", "skip"),
        help="an unreadable trace stops the check (raise, default) or is listed (skip)",
    )
    check.add_argument(
        "--fail-on",
        default="error",
        choices=("error", "warning", "never"),
        help="exit with status 3 when a problem of this severity or worse is found: error "
        "(default), warning (any problem) or never",
    )
    check.set_defaults(func=_check)

    conv = sub.add_parser("convert", help="convert any supported dataset to SeisBench format")
    conv.add_argument("src", help="input dataset")
    conv.add_argument("dst", help="output folder (metadata.csv + waveforms.hdf5)")
    conv.add_argument("--format", default="auto", help="input format (default: detected)")
    conv.add_argument("--overwrite", action="store_true", help="replace a dataset in DST")
    conv.add_argument("--on-error", default="raise", choices=("raise", "skip"))
    conv.set_defaults(func=_convert)

    synth = sub.add_parser("synth", help="generate synthetic data (events or image patches)")
    ssub = synth.add_subparsers(dest="synth_kind", metavar="KIND")
    ev = ssub.add_parser(
        "events",
        help="physics-shaped 3-component local earthquakes in SeisBench format",
        description="P and S phases with particle motion set by back-azimuth and incidence, "
        "Brune spectra from magnitude and stress drop (two source populations), coda, "
        "noise at a chosen SNR; split by event. --physics ideal (default) is the original "
        "generator (an ideal station, shallow local events); --physics broad adds local to "
        "intermediate-depth events, varied near-surface velocity and resonance, a broadband "
        "sensor, varied P coda and noise and a different station per event. For a model used "
        "on real data, match the sampling rate (--sampling-rate) and add the station's own "
        "noise (--noise-from): on real data these transferred best, the broad physics did "
        "not help (docs/azimuth.md). Options given explicitly override the preset's values.",
        epilog=SYNTH_EPILOG,
        formatter_class=formatter(),
    )
    ev.add_argument("--n", type=int, default=1000, help="number of traces (default 1000)")
    ev.add_argument("--out", required=True, help="output folder")
    ev.add_argument("--seed", type=int, default=0)
    add_synth_event_options(ev)
    ev.add_argument("--overwrite", action="store_true")
    ev.set_defaults(func=_synth_events)
    im = ssub.add_parser(
        "images",
        help="synthetic reflection-seismic patches: horizon, fault, chaotic, salt dome",
    )
    im.add_argument("--n", type=int, default=400, help="number of patches (default 400)")
    im.add_argument("--out", required=True, help="output folder (one subfolder per class)")
    im.add_argument("--seed", type=int, default=0)
    im.add_argument("--size", type=int, default=99, help="patch size in pixels (default 99)")
    im.add_argument("--format", dest="image_format", default="mat", choices=("mat", "npy", "png"))
    im.add_argument("--overwrite", action="store_true")
    im.set_defaults(func=_synth_images)


def _info(args: argparse.Namespace) -> int:
    from seislearn.data.summary import describe
    from seislearn.io import read_dataset

    print(describe(read_dataset(args.path, args.format)))
    return 0


def _check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from seislearn.data.checks import COLUMNS, check_dataset, format_report
    from seislearn.errors import DataError

    if args.out and Path(args.out).exists() and not args.overwrite:
        raise DataError("the file exists; pass --overwrite to replace it", path=args.out)
    dataset = _read(args.path, args.format, args.on_error)
    problems = check_dataset(dataset, on_error=args.on_error, progress=True)
    unreadable = [
        {
            "position": None,
            "trace_name": "",
            "trace_name_seisbench": "",
            "check": "unreadable_file",
            "severity": "error",
            "detail": message,
        }
        for message in getattr(dataset, "skipped", [])
    ]
    if unreadable:
        import pandas as pd

        attrs = problems.attrs
        problems = pd.concat([pd.DataFrame(unreadable), problems], ignore_index=True)[list(COLUMNS)]
        problems["position"] = problems["position"].astype("Int64")
        problems.attrs = attrs
    hint = "pass --all to list every row" + (
        "" if args.out else ", or --out FILE to save the table"
    )
    print(format_report(problems, None if args.all_rows else 10, more_hint=hint))
    if args.out:
        from seislearn.runs import atomic_path

        with atomic_path(args.out) as tmp:
            problems.to_csv(tmp, index=False)
        print(f"wrote {len(problems)} rows to {args.out}")
    failing = {"error": {"error"}, "warning": {"error", "warning"}, "never": set()}[args.fail_on]
    return CHECK_FAILED if problems["severity"].isin(failing).any() else 0


def _read(path: str, fmt: str, on_error: str) -> WaveformDataset:
    """Open a dataset; readers that read whole files up front (ObsPy) get ``on_error``."""
    from seislearn.io import detect_format, read_dataset

    resolved = detect_format(path) if fmt == "auto" else fmt
    kwargs = {"on_error": on_error} if resolved == "obspy" else {}
    return read_dataset(path, resolved, **kwargs)


def _size_of(path: str) -> int:
    """Bytes of a file, or of every file below a folder."""
    from pathlib import Path

    root = Path(path)
    if root.is_file():
        return root.stat().st_size
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def _convert(args: argparse.Namespace) -> int:
    from seislearn.io.seisbench import write_seisbench
    from seislearn.runs import check_free_space

    dataset = _read(args.src, args.format, args.on_error)
    # float32 output is at most the size of the source (float64 halves it, compression aside).
    check_free_space(args.dst, _size_of(args.src))
    skipped = write_seisbench(
        dataset, args.dst, overwrite=args.overwrite, on_error=args.on_error, progress=True
    )
    print(f"wrote {len(dataset) - len(skipped)} traces to {args.dst} (SeisBench format)")
    for message in [*getattr(dataset, "skipped", []), *skipped]:
        print(f"skipped: {message}")
    return 0


def _synth_events(args: argparse.Namespace) -> int:
    from seislearn.data.synthetic import make_events
    from seislearn.io.seisbench import write_seisbench
    from seislearn.sizes import small_count

    cfg = synthetic_config_from_args(args)
    if cfg.noise_bank is not None:
        print(
            f"noise from {args.noise_from}: {len(cfg.noise_bank.segments)} pre-P stretches, "
            f"{cfg.noise_bank.total_seconds:.0f} s ({len(cfg.noise_bank.skipped)} traces unused)"
        )
    from seislearn.runs import check_free_space

    n = small_count(args.n, 300)
    # 3 float32 components per trace, checked before any trace is generated.
    check_free_space(args.out, int(n * 3 * 4 * cfg.sampling_rate * cfg.duration_s))
    dataset = make_events(n, seed=args.seed, config=cfg)
    write_seisbench(dataset, args.out, overwrite=args.overwrite)
    print(f"wrote {len(dataset)} synthetic traces to {args.out}")
    return 0


def _synth_images(args: argparse.Namespace) -> int:
    from seislearn.data.synthetic_images import write_images
    from seislearn.sizes import small_count

    written = write_images(
        args.out,
        n=small_count(args.n, 200),
        seed=args.seed,
        size=args.size,
        fmt=args.image_format,
        overwrite=args.overwrite,
    )
    print(f"wrote {written} synthetic patches to {args.out}")
    return 0
