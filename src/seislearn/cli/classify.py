"""``seislearn classify``: train, evaluate and apply spectrogram CNNs (stdlib imports only)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from seislearn.cli.common import (
    add_config_options,
    add_data_options,
    add_device_options,
    add_run_options,
    formatter,
)

if TYPE_CHECKING:
    from seislearn.classify.config import ClassifyConfig

EPILOG = """\
examples:
  # two-class source populations from P-fixed Spectra64 spectrograms, split by event
  seislearn data synth events --n 300 --out synth300 --seed 1
  seislearn classify train --data synth300 --target source_type --out runs/p64
  # the four variants of the P/S x Spectra64/Spectra32 design, compared in one report
  seislearn classify train --data synth300 --target source_type --variants P64,P32,S64,S32 --out runs/v
  # magnitude regression; data without picks: windows from the trace start
  seislearn classify train --data ../shared/data/seisbench_dummy --target source_magnitude --split existing \\
      --set anchor=trace_start --out runs/mag
  # your own spectrogram PNG folders (one subfolder per class)
  seislearn classify train --data YOUR_PNG_FOLDER --target label --out runs/png
  seislearn classify evaluate --model runs/p64 --data synth300 --split test
  seislearn data synth events --n 200 --out new_events --seed 2   # events the model has not seen
  seislearn classify predict --model runs/p64 --data new_events --out predictions.csv

Config keys (--set KEY=VALUE): target, task (auto|classification|regression), variant
(P64|P32|S64|S32|PW|SW), anchor (pick|trace_start), target_rate, freqmin, freqmax,
normalize, split (event|time|existing), split_fractions, folds, balance
(weights|undersample|none), seed, model.channels, model.kernel_size, model.dropout,
training.epochs, training.batch_size, training.lr, training.patience.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "classify",
        help="CNNs on 3-component spectrograms: event classes and magnitudes",
        description="Train CNNs on log-spectrograms of P- or S-fixed windows (or raw windows, "
        "or spectrogram PNG folders) to classify events or regress a numeric column.",
        epilog=EPILOG,
        formatter_class=formatter(),
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    p.set_defaults(func=lambda _args: _usage(p))

    t = actions.add_parser(
        "train",
        help="train a model (or several variants)",
        epilog=EPILOG,
        formatter_class=formatter(),
    )
    add_data_options(t)
    add_run_options(t)
    add_config_options(t)
    t.add_argument("--target", help="metadata column to predict (default source_type)")
    t.add_argument("--variant", help="one input design: P64, P32, S64, S32, PW or SW (default P64)")
    t.add_argument(
        "--variants", help="comma-separated variants trained and compared, e.g. P64,P32,S64,S32"
    )
    t.add_argument("--split", choices=("event", "time", "existing"), help="split method")
    t.add_argument("--folds", type=int, help="also run k-fold cross-validation by event")
    t.add_argument("--epochs", type=int, help="maximum epochs (early stopping on dev)")
    t.add_argument(
        "--distance-from",
        choices=("auto", "label", "coordinates"),
        help="epicentral distance truth wherever a distance is used (side input, baselines, a "
        "distance target): auto (default) = from source and station coordinates where they "
        "exist, path_ep_distance_km elsewhere, never a label the coordinates contradict; "
        "label = labels as given; coordinates = coordinates only",
    )
    t.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    t.add_argument(
        "--progress",
        action="store_true",
        help="kept for old scripts: progress is always shown (a bar with the time left on a "
        "terminal, one line per stage otherwise); 'seislearn --quiet' turns it off",
    )
    add_device_options(t)
    t.set_defaults(func=_train)

    e = actions.add_parser(
        "evaluate",
        help="score a trained run on labelled data",
        formatter_class=formatter(),
        epilog="example (runs/p64 and synth300 as made in 'seislearn classify --help'):\n"
        "  seislearn classify evaluate --model runs/p64 --data synth300 --split test\n",
    )
    e.add_argument("--model", required=True, metavar="RUN", help="a classify train run")
    add_data_options(e)
    e.add_argument("--split", help="evaluate only this split of the data (train/dev/test)")
    e.add_argument("--out", metavar="DIR", help="output folder (default RUN/evaluation)")
    e.add_argument("--overwrite", action="store_true", help="replace an existing output")
    add_device_options(e)
    e.set_defaults(func=_evaluate)

    r = actions.add_parser(
        "predict",
        help="predict classes or values for new data",
        formatter_class=formatter(),
        epilog="example (runs/p64 and new_events as made in 'seislearn classify --help'):\n"
        "  seislearn classify predict --model runs/p64 --data new_events --out pred.csv\n",
    )
    r.add_argument("--model", required=True, metavar="RUN", help="a classify train run")
    add_data_options(r)
    r.add_argument("--out", metavar="CSV", help="CSV to write (default RUN/predictions_<data>.csv)")
    r.add_argument("--overwrite", action="store_true", help="replace an existing CSV")
    add_device_options(r)
    r.set_defaults(func=_predict)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _config(args: argparse.Namespace) -> ClassifyConfig:
    from seislearn.classify.config import ClassifyConfig
    from seislearn.config import load_config

    overrides = list(args.overrides)
    for key, value in (
        ("target", args.target),
        ("variant", args.variant),
        ("split", args.split),
        ("folds", args.folds),
        ("seed", args.seed),
        ("training.epochs", args.epochs),
        ("labels.distance_from", getattr(args, "distance_from", None)),
    ):
        if value is not None:
            overrides.append(f"{key}={value}")
    return load_config(ClassifyConfig, args.config, overrides)


def _train(args: argparse.Namespace) -> int:
    from seislearn.classify.api import train, train_variants
    from seislearn.progress import is_quiet

    cfg = _config(args)
    common = {
        "data_format": args.format,
        "on_error": args.on_error,
        "overwrite": args.overwrite,
        "resume": args.resume,
        "progress": not is_quiet(),
    }
    if args.variants:
        table = train_variants(args.data, cfg, args.variants.split(","), args.out, **common)
        print(table.to_string(index=False))
    else:
        result = train(args.data, cfg, args.out, **common)
        test = result.metrics.get("test", {})
        keys = ("accuracy", "balanced_accuracy", "roc_auc", "mae", "rmse", "r2")
        print("test: " + ", ".join(f"{k} {test[k]:.4g}" for k in keys if test.get(k) is not None))
        for truth in result.metrics.get("truth", {}).values():
            print(("WARNING: " if truth.get("labels_disagreeing_used") else "") + truth["note"])
        if result.skipped:
            print(f"{len(result.skipped)} traces skipped (listed in report.html), e.g.:")
            for message in result.skipped[:5]:
                print(f"  {message}")
    print(f"run written to {args.out}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from seislearn.classify.apply import evaluate

    metrics = evaluate(
        args.model, args.data, args.out, args.format, args.on_error, args.split, args.overwrite
    )
    keys = ("n", "accuracy", "balanced_accuracy", "roc_auc", "mae", "rmse", "r2")
    print(", ".join(f"{k} {metrics[k]:.4g}" for k in keys if metrics.get(k) is not None))
    return 0


def _predict(args: argparse.Namespace) -> int:
    from seislearn.classify.apply import predict

    table = predict(args.model, args.data, args.out, args.format, args.on_error, args.overwrite)
    print(f"{len(table)} predictions written to {table.attrs['path']}")
    return 0
