"""``seislearn cluster``: deep embedded clustering of seismic spectrograms.

Only the standard library is imported at module level (``--help`` stays fast).
"""

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
  seislearn cluster train --data ../shared/data/ncedc_phasenet --n-clusters 2 --out runs/nc
  seislearn data synth events --n 300 --out synth300 --seed 1
  seislearn cluster train --data synth300 --n-clusters 3 --out runs/syn \\
      --label-column source_type --set features.components=ZNE --set training.recon_weight=0.1
  seislearn cluster train --data synth300 --n-clusters 4 --out runs/syn4 --config YOUR_CLUSTER.yaml
  seislearn cluster train --data synth300 --n-clusters 3 --out runs/syn --resume   # from checkpoints
  seislearn data synth events --n 200 --out new_events --seed 2   # events the model has not seen
  seislearn cluster predict --model runs/syn --data new_events --out runs/syn_new

A config file (YAML) has the sections features (window, filter, STFT, scaling),
model (channels, latent_dim, nu), training (pretraining, DEC) and data
(streaming: auto|memory|stream, chunk_traces, cache_dir), plus k_range,
embedding_plot and split_method; see docs/cluster.md. Archives larger than
memory are streamed through the feature cache (auto, or --streaming stream),
with the in-memory results. A run writes
assignments.csv (trace_name, cluster, q), metrics.json (silhouette,
Davies-Bouldin, cluster sizes; ACC/NMI/ARI and the confusion matrix with
--label-column, side by side with CAE + KMeans and raw KMeans), figures/,
model/ and report.html.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``seislearn cluster`` with the actions ``train`` and ``predict``."""
    p = subparsers.add_parser(
        "cluster",
        help="group signals without labels: spectrogram autoencoder + DEC",
        description="Convolutional autoencoder on spectrograms, then Deep Embedded "
        "Clustering (Xie et al. 2016).",
        epilog=EPILOG,
        formatter_class=formatter(),
    )
    sub = p.add_subparsers(dest="cluster_command", metavar="ACTION")

    t = sub.add_parser(
        "train",
        help="pretrain the autoencoder, run DEC, write the run",
        description="Compute spectrograms, pretrain the autoencoder (MSE, early stopping "
        "on the dev split), initialize centres (KMeans/GMM), fine-tune with DEC, and "
        "score against CAE + KMeans and raw KMeans. The test split is held out.",
        epilog=EPILOG,
        formatter_class=formatter(),
    )
    add_data_options(t)
    t.add_argument("--n-clusters", type=int, required=True, metavar="K", help="number of clusters")
    t.add_argument(
        "--label-column",
        metavar="COL",
        help="metadata column with known classes, only to score the clusters (ACC, NMI, ARI)",
    )
    add_run_options(t)
    t.add_argument("--resume", action="store_true", help="continue from RUN/checkpoints")
    add_config_options(t, example="training.pretrain_epochs=20")
    add_device_options(t)
    t.set_defaults(func=_train)

    r = sub.add_parser(
        "predict",
        help="assign new traces to the clusters of a trained run",
        description="Compute spectrograms with the run's feature settings and assign each "
        "trace to its most probable cluster.",
        epilog="example (runs/syn and new_events as made in 'seislearn cluster --help'):\n"
        "  seislearn cluster predict --model runs/syn --data new_events --out runs/syn_new",
        formatter_class=formatter(),
    )
    r.add_argument("--model", required=True, metavar="RUN", help="a run of 'cluster train'")
    add_data_options(r)
    r.add_argument("--label-column", metavar="COL", help="score against this column")
    r.add_argument("--out", metavar="DIR", help="output run directory (default: RUN/predict)")
    r.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    add_device_options(r)
    r.set_defaults(func=_predict)


def _train(args: argparse.Namespace) -> int:
    from seislearn.cluster.api import ClusterConfig, train_cluster
    from seislearn.config import load_config

    config = load_config(ClusterConfig, args.config, args.overrides)
    run = train_cluster(
        args.data,
        args.out,
        n_clusters=args.n_clusters,
        config=config,
        label_column=args.label_column,
        seed=args.seed,
        overwrite=args.overwrite,
        resume=args.resume,
        format=args.format,
        on_error=args.on_error,
    )
    print(f"wrote {run / 'report.html'}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from seislearn.cluster.api import predict_cluster

    out = args.out or str(Path(args.model) / "predict")
    run = predict_cluster(
        args.model,
        args.data,
        out,
        label_column=args.label_column,
        overwrite=args.overwrite,
        format=args.format,
        on_error=args.on_error,
    )
    print(f"wrote {run / 'assignments.csv'}")
    return 0
