"""``seislearn azimuth``: back-azimuth and incidence of P arrivals (VAE + triplet + head)."""

from __future__ import annotations

import argparse
from pathlib import Path

from seislearn.cli.common import (
    add_config_options,
    add_data_options,
    add_device_options,
    add_run_options,
    formatter,
)

EPILOG = """\
examples:
  seislearn data synth events --n 4000 --out synth --seed 1
  seislearn azimuth train --data synth --out az_run
  seislearn azimuth train --data synth --out az_run2 --set model.latent_dim=2 --set training.head_epochs=40
  seislearn azimuth train --data synth --out az_two --set training.mode=two_stage   # VAE, then head
  seislearn azimuth train --data synth --out az_orig --preset original
  seislearn azimuth train --data synth --out az_run --resume          # continue from checkpoints
  seislearn data synth events --n 500 --out synth_test --seed 2   # events the model has not seen
  seislearn azimuth evaluate --model az_run --data synth_test --out az_eval
  seislearn azimuth predict --model az_run --data YOUR_MSEED_FOLDER --picks YOUR_PICKS.csv --out az_pred
  seislearn azimuth pick --data ../shared/data/seisbench_dummy --out picked \\
      --weights ../shared/data/weights/phasenetlight_ethz
  # a trace the picker left without a P pick stops a run unless --on-error skip:
  seislearn azimuth predict --model az_run --data picked --out az_pred --on-error skip
  seislearn azimuth train --data picked --out az_real --init-from az_run --on-error skip  # fine-tune

config keys (YAML sections; --set section.key=value):
  window.before_s/after_s (s), window.target_rate_hz, window.freqmin_hz/freqmax_hz,
  window.baseline_lengths_s (polarization window candidates, chosen on train),
  model.latent_dim (16; 2 as in the original study), model.covariance_features,
  model.polarity_window_s (0.15; 0 = off), training.augment_rotation (off),
  loss.beta_kl, loss.lambda_triplet, loss.triplet_delta_deg, loss.mining (batch_hard|semi_hard),
  loss.lambda_contrastive, loss.lambda_nll, training.mode (end_to_end|two_stage),
  training.head_epochs (the end-to-end budget, 80), training.vae_epochs (two_stage only),
  training.freeze_encoder (two_stage only), training.patience,
  labels.back_azimuth_from (auto|label|coordinates; also --back-azimuth-from),
  labels.back_azimuth_tolerance_deg (10)
"""


def _probability(text: str) -> float:
    """A detection threshold given on the command line: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _add_obspy_options(parser: argparse.ArgumentParser) -> None:
    """``--picks`` and ``--inventory``, for MiniSEED/SAC files (format obspy)."""
    parser.add_argument(
        "--picks",
        metavar="FILE",
        help="P (and S) picks of MiniSEED/SAC files: a CSV with trace_id (or station), "
        "phase, time (UTC), or a QuakeML catalogue",
    )
    parser.add_argument(
        "--inventory",
        metavar="FILE",
        help="StationXML of MiniSEED/SAC files: station coordinates, 1/2 channel orientation",
    )


def _add_truth_options(parser: argparse.ArgumentParser) -> None:
    """``--back-azimuth-from`` and ``--back-azimuth-tolerance``: the truth policy."""
    parser.add_argument(
        "--back-azimuth-from",
        choices=("auto", "label", "coordinates"),
        default=None,
        help="truth to train and score against: auto (default) = the geodesic back-azimuth "
        "from source and station coordinates where they exist, the label elsewhere, and "
        "never a label the coordinates contradict; label = labels as given; "
        "coordinates = coordinates only (an error names traces without)",
    )
    parser.add_argument(
        "--back-azimuth-tolerance",
        type=float,
        default=None,
        metavar="DEG",
        help="a label farther than this from the coordinates' back-azimuth disagrees "
        "(degrees on the circle; default 10)",
    )


def _truth_config(args: argparse.Namespace, base: object = None) -> object:
    """The truth policy from the command line, over ``base`` (a TruthConfig) or the defaults."""
    from seislearn.data.labels import TruthConfig

    update = {}
    if args.back_azimuth_from is not None:
        update["back_azimuth_from"] = args.back_azimuth_from
    if args.back_azimuth_tolerance is not None:
        update["back_azimuth_tolerance_deg"] = args.back_azimuth_tolerance
    config = base if isinstance(base, TruthConfig) else TruthConfig()
    return TruthConfig.model_validate({**config.model_dump(), **update})


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "azimuth",
        help="back-azimuth and incidence of P from 3-component windows (VAE + polarization baseline)",
        description="Predict the arrival direction of P at one station: a convolutional VAE "
        "ordered by a circular triplet loss, an embedding-to-angle head with von Mises "
        "uncertainty and a contrastive term, compared with covariance polarization analysis "
        "(Flinn 1965; Jurkevics 1988) on the same windows and split.",
        epilog=EPILOG,
        formatter_class=formatter(),
    )
    sub = p.add_subparsers(dest="azimuth_command", metavar="ACTION")

    tr = sub.add_parser(
        "train",
        help="train on a labelled dataset and evaluate on its test split",
        epilog=EPILOG,
        formatter_class=formatter(),
    )
    add_data_options(tr)
    _add_obspy_options(tr)
    add_run_options(tr)
    add_config_options(tr, example="training.head_epochs=40")
    add_device_options(tr)
    _add_truth_options(tr)
    tr.add_argument(
        "--preset",
        choices=("default", "original"),
        default=None,
        help="'original': the reference configuration of the original study (latent 2)",
    )
    tr.add_argument("--resume", action="store_true", help="continue from the run's checkpoints")
    tr.add_argument(
        "--init-from",
        metavar="RUN",
        help="start from a trained azimuth run (e.g. on synthetic events) and fine-tune it",
    )
    tr.set_defaults(func=_train)

    ev = sub.add_parser("evaluate", help="metrics of a trained run on a labelled dataset")
    ev.add_argument("--model", required=True, metavar="RUN", help="a run made by 'azimuth train'")
    add_data_options(ev)
    _add_obspy_options(ev)
    add_run_options(ev, out_required=False)
    ev.add_argument(
        "--split",
        default="all",
        choices=("all", "train", "dev", "test"),
        help="evaluate on this split of the data (default: all traces)",
    )
    add_device_options(ev)
    _add_truth_options(ev)
    ev.set_defaults(func=_evaluate)

    pr = sub.add_parser("predict", help="predict back-azimuth, incidence and uncertainty")
    pr.add_argument("--model", required=True, metavar="RUN", help="a run made by 'azimuth train'")
    add_data_options(pr)
    _add_obspy_options(pr)
    add_run_options(pr, out_required=False)
    add_device_options(pr)
    _add_truth_options(pr)
    pr.set_defaults(func=_predict)

    pk = sub.add_parser(
        "pick", help="add P/S picks with a SeisBench picker (PhaseNetLight/PhaseNet)"
    )
    add_data_options(pk)
    pk.add_argument("--out", required=True, metavar="DIR", help="output SeisBench dataset folder")
    pk.add_argument(
        "--weights",
        metavar="DIR",
        help="local SeisBench weights folder (NAME.json.vN + NAME.pt.vN); "
        "without it the pretrained weights are downloaded",
    )
    pk.add_argument("--picker", default="PhaseNetLight", choices=("PhaseNetLight", "PhaseNet"))
    pk.add_argument("--pretrained", default="ethz", help="pretrained weights name (default ethz)")
    pk.add_argument(
        "--keep-existing",
        action="store_true",
        help="keep picks already in the metadata, fill only missing ones",
    )
    pk.add_argument(
        "--p-threshold",
        type=_probability,
        default=None,
        help="P detection probability threshold, 0-1 (default: the picker's, 0.3)",
    )
    pk.add_argument(
        "--s-threshold",
        type=_probability,
        default=None,
        help="S detection probability threshold, 0-1 (default: the picker's, 0.3); "
        "lower it when S picks are missing on many traces",
    )
    pk.add_argument("--overwrite", action="store_true", help="replace a dataset in --out")
    pk.add_argument(
        "--threads", type=int, default=1, help="torch CPU threads for the picker (default 1)"
    )
    pk.set_defaults(func=_pick)


def _data_options(args: argparse.Namespace) -> dict:
    """How train, evaluate and predict read their data: format, bad traces, picks, stations."""
    return {
        "format": args.format,
        "on_error": args.on_error,
        "picks": args.picks,
        "inventory": args.inventory,
    }


def _train(args: argparse.Namespace) -> int:
    from seislearn.azimuth.api import train
    from seislearn.azimuth.config import load_azimuth_config

    config = load_azimuth_config(args.config, args.overrides, args.preset)
    config = config.model_copy(update={"labels": _truth_config(args, config.labels)})
    path = train(
        args.data,
        args.out,
        config,
        seed=args.seed,
        overwrite=args.overwrite,
        resume=args.resume,
        init_from=args.init_from,
        **_data_options(args),
    )
    _print_summary(path)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from seislearn.azimuth.api import evaluate

    out = args.out or str(Path(args.model) / "evaluation")
    path = evaluate(
        args.model,
        args.data,
        out,
        overwrite=args.overwrite,
        split=args.split,
        labels=_truth_config(args),
        **_data_options(args),
    )
    _print_summary(path)
    return 0


def _predict(args: argparse.Namespace) -> int:
    from seislearn.azimuth.api import predict

    out = args.out or str(Path(args.model) / "prediction")
    path = predict(
        args.model,
        args.data,
        out,
        overwrite=args.overwrite,
        labels=_truth_config(args),
        **_data_options(args),
    )
    print(f"predictions: {path}")
    return 0


def _pick(args: argparse.Namespace) -> int:
    import torch

    from seislearn.data.picking import add_picks, load_picker
    from seislearn.io import read_dataset
    from seislearn.io.seisbench import write_seisbench

    torch.set_num_threads(args.threads)
    picker = load_picker(args.weights, args.picker, args.pretrained)
    dataset = read_dataset(args.data, format=args.format)
    picked, skipped = add_picks(
        dataset, picker, args.on_error, args.keep_existing, args.p_threshold, args.s_threshold
    )
    write_seisbench(picked, args.out, overwrite=args.overwrite)
    n_p = int(picked.metadata["trace_p_arrival_sample"].notna().sum())
    n_s = int(picked.metadata["trace_s_arrival_sample"].notna().sum())
    print(f"{n_p} of {len(picked)} traces have a P pick, {n_s} an S pick; written to {args.out}")
    for message in skipped:
        print(f"  {message}")
    if n_p < len(picked):
        print(
            "  traces without a P pick stop 'azimuth train/evaluate/predict' on this dataset; "
            "pass --on-error skip there to leave them out"
        )
    return 0


def _print_summary(run_path: Path) -> None:
    import json

    metrics = json.loads((Path(run_path) / "metrics.json").read_text(encoding="utf-8"))
    print(f"run: {run_path}")
    for quantity, truth in metrics.get("truth", {}).items():
        if quantity == "back_azimuth":
            loud = "WARNING: " if truth.get("labels_disagreeing_used") else ""
            print(f"  {loud}{truth['note']}")
    if "model" in metrics:
        for who in ("model", "baseline"):
            overall = metrics[who]["overall"]
            print(
                f"  {who:9s} circular MAE {overall['mae_deg']:.2f} deg, median "
                f"{overall['median_abs_error_deg']:.2f} deg, within 10 deg "
                f"{overall['within_10_deg']:.0%} (n={overall['n']})"
            )
