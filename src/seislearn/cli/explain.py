"""``seislearn explain``: SHAP / Integrated-Gradients maps of a classify model (stdlib imports only)."""

from __future__ import annotations

import argparse

from seislearn.cli.common import add_data_options, add_device_options, formatter

EPILOG = """\
examples:
  # runs/p64 and synth300 as made in 'seislearn classify --help'
  seislearn explain --model runs/p64 --data synth300 --n 300
  seislearn explain --model runs/p64 --data synth300 --split test --explainer partition --n 50
  seislearn explain --model runs/p64 --data synth300 --explainer deep --out runs/p64-deep

Explainers: gradient (SHAP GradientExplainer, default), deep (SHAP DeepExplainer),
partition (SHAP Partition explainer with an image masker; masked pixels = train mean),
ig (Captum Integrated Gradients). Unless --no-cross-check, Integrated Gradients also
runs on up to 50 events as a cross-check. Every run reports a deletion curve
(top-attributed pixels removed first vs random pixels).
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "explain",
        help="attribution maps (SHAP, Integrated Gradients) of a classify model",
        description="Explain which time-frequency regions drove a classify model: per-event "
        "maps over the spectrogram, class mean maps, time and frequency profiles, and a "
        "deletion-curve faithfulness check.",
        epilog=EPILOG,
        formatter_class=formatter(),
    )
    p.add_argument("--model", required=True, metavar="RUN", help="a classify train run")
    add_data_options(p)
    p.add_argument("--n", type=int, default=300, help="events per class (default 300)")
    p.add_argument(
        "--explainer", default="gradient", choices=("gradient", "deep", "partition", "ig")
    )
    p.add_argument("--split", help="explain only this split of the data (e.g. test)")
    p.add_argument("--out", metavar="DIR", help="output folder (default RUN/explain_EXPLAINER)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--nsamples", type=int, default=64, help="gradient explainer samples per event")
    p.add_argument("--max-evals", type=int, default=500, help="partition explainer evaluations")
    p.add_argument(
        "--no-cross-check", action="store_true", help="skip the Integrated Gradients cross-check"
    )
    add_device_options(p)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from seislearn.explain.api import explain
    from seislearn.sizes import small_count

    metrics = explain(
        args.model,
        args.data,
        out=args.out,
        n=small_count(args.n, 20),
        explainer=args.explainer,
        split=args.split,
        cross_check=not args.no_cross_check,
        data_format=args.format,
        on_error=args.on_error,
        nsamples=small_count(args.nsamples, 8),
        max_evals=small_count(args.max_evals, 50),
        seed=args.seed,
        overwrite=args.overwrite,
    )
    print(
        f"explained {metrics['n_explained']} events in {metrics['seconds']:.1f} s; "
        + "; ".join(
            f"{k}: deletion AUC top {v['auc_top']:.3f} vs random {v['auc_random']:.3f}"
            for k, v in metrics["deletion"].items()
        )
    )
    print(f"written to {metrics['path']}")
    return 0
