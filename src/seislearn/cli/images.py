"""``seislearn images``: cluster seismic image patches and flag anomalies (stdlib imports only)."""

from __future__ import annotations

import argparse

from seislearn.cli.common import (
    add_config_options,
    add_device_options,
    add_run_options,
    add_streaming_option,
    formatter,
)

EPILOG = """\
examples:
  seislearn data synth images --n 2000 --out patches --seed 1
  seislearn images fit patches --out runs/img                      # self-supervised encoder
  seislearn images fit patches --out runs/img50 --extractor resnet50 --weights YOUR_RESNET50.pth
  seislearn images fit YOUR_FLAT_FOLDER --out runs/flat --set k_max=8   # no labels: k by silhouette
  seislearn data synth images --n 200 --out new_patches --seed 2   # patches not seen
  seislearn images predict --model runs/img new_patches            # -> runs/img/predict_new_patches

A folder with one subfolder per class is labelled (metrics are computed); a flat
folder is not. Files: .mat (v5 or v7.3; --key names the variable), .png, .npy.
A folder larger than memory is streamed: the patches are read from their files batch
by batch (--streaming auto, the default, decides from the folder's size; stream or
memory force it; config keys data.streaming, data.memory_fraction, data.chunk_traces:
patches per feature chunk). Both give the same features, clusters and metrics.
Outputs: predictions.csv, metrics.json (ARI, NMI, ACC), classification_metrics.csv,
figures/ (UMAP by label and by cluster, anomaly gallery, one sheet per cluster),
report.html, model/ (no pickle: safetensors, JSON, NPZ).
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``images`` command group."""
    parser = subparsers.add_parser(
        "images",
        help="cluster seismic image patches (horizon, fault, chaotic, salt dome), flag odd ones",
        description="Cluster seismic image patches without labels and score anomalies: "
        "CNN features (self-supervised or a torchvision backbone) -> UMAP -> KMeans.",
        epilog=EPILOG,
        formatter_class=formatter(),
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION")

    fit = sub.add_parser(
        "fit",
        help="fit the pipeline on a folder of patches",
        epilog=EPILOG,
        formatter_class=formatter(),
    )
    fit.add_argument("data", metavar="DIR", help="folder of patches (class subfolders optional)")
    add_run_options(fit)
    fit.add_argument(
        "--extractor",
        help="feature extractor: ssl (trained on the patches, no download; default) or a "
        "torchvision model name such as resnet50, resnet18, efficientnet_b0",
    )
    fit.add_argument(
        "--weights",
        metavar="FILE",
        help="backbone weights: a local state dict (.pth/.pt via torch.load weights_only, or "
        ".safetensors); default: torchvision's ImageNet weights (cached download); "
        "'random' for timing only",
    )
    fit.add_argument("--key", help=".mat variable holding the image (default: the only 2-D array)")
    fit.add_argument("--resume", action="store_true", help="continue an interrupted SSL training")
    fit.add_argument(
        "--on-error",
        default="raise",
        choices=("raise", "skip"),
        help="an unreadable file stops the run (raise) or is skipped and listed (skip)",
    )
    fit.add_argument("--quiet", action="store_true", help="no progress bars")
    add_streaming_option(fit, "patches")
    fit.add_argument(
        "--num-workers",
        type=int,
        metavar="N",
        help="DataLoader workers reading the files of a streamed run (default 2; config key "
        "num_workers)",
    )
    add_config_options(fit, example="ssl.epochs=20")
    add_device_options(fit)
    fit.set_defaults(func=_fit)

    predict = sub.add_parser(
        "predict",
        help="assign new patches with a fitted run",
        epilog=EPILOG,
        formatter_class=formatter(),
    )
    predict.add_argument("data", metavar="DIR", help="folder of patches")
    predict.add_argument("--model", required=True, metavar="RUN", help="a run of 'images fit'")
    predict.add_argument("--out", metavar="DIR", help="output folder (default RUN/predict_<DIR>)")
    predict.add_argument("--overwrite", action="store_true")
    predict.add_argument("--key", help=".mat variable holding the image")
    predict.add_argument("--batch-size", type=int, default=64)
    predict.add_argument("--on-error", default="raise", choices=("raise", "skip"))
    predict.add_argument("--quiet", action="store_true", help="no progress bars")
    add_streaming_option(predict, "patches")
    add_device_options(predict)
    predict.set_defaults(func=_predict)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def _fit(args: argparse.Namespace) -> int:
    from seislearn.config import load_config
    from seislearn.images.api import ImagesConfig, fit_images

    overrides = list(args.overrides)
    for key, value in (("extractor", args.extractor), ("weights", args.weights)):
        if value is not None:
            overrides.append(f"{key}={value}")
    if args.key is not None:
        overrides.append(f"mat_key={args.key}")
    if args.num_workers is not None:
        overrides.append(f"num_workers={args.num_workers}")
    from seislearn.progress import is_quiet

    if args.quiet or is_quiet():
        overrides.append("progress=false")
    config = load_config(ImagesConfig, args.config, overrides)
    metrics = fit_images(
        args.data,
        args.out,
        config,
        seed=args.seed,
        overwrite=args.overwrite,
        resume=args.resume,
        on_error=args.on_error,
    )
    shown = {
        k: metrics[k] for k in ("ARI", "NMI", "ACC", "n_patches", "n_clusters") if k in metrics
    }
    print(f"wrote {args.out}: " + ", ".join(f"{k} {v:.3g}" for k, v in shown.items()))
    for message in metrics.get("skipped_files", []):
        print(f"skipped: {message}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from seislearn.images.api import predict_images
    from seislearn.progress import is_quiet

    out, metrics = predict_images(
        args.model,
        args.data,
        out=args.out,
        overwrite=args.overwrite,
        on_error=args.on_error,
        mat_key=args.key,
        batch_size=args.batch_size,
        progress=not (args.quiet or is_quiet()),
    )
    shown = {k: metrics[k] for k in ("ARI", "NMI", "ACC", "n_patches") if k in metrics}
    print(f"wrote {out}: " + ", ".join(f"{k} {v:.3g}" for k, v in shown.items()))
    for message in metrics.get("skipped_files", []):
        print(f"skipped: {message}")
    return 0
