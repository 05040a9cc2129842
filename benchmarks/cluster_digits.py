"""DEC on scikit-learn's load_digits (1,797 real 8x8 handwritten digits, 10 classes).

The usual DEC sanity check. Pixels scaled to [0, 1] (division by 16, no fit);
all 1,797 images clustered, labels only used to score (ACC with the Hungarian
mapping, NMI, ARI), side by side with CAE + KMeans (DEC's starting point) and
raw KMeans on the pixels.

Five autoencoders are pretrained per fit (``n_pretrain=5``) and DEC continues
from the one whose KMeans partition agrees best with the other four (mean
adjusted Rand index; label-free): a single pretraining sometimes splits one
digit and merges two others, and DEC cannot undo such a start.

    python benchmarks/cluster_digits.py [--seeds 0 1 2 3 4]
    python benchmarks/cluster_digits.py --defaults    # DeepEmbeddedClustering(n_clusters=10)
    python benchmarks/cluster_digits.py --set n_pretrain=1 --name NAME   # one autoencoder
"""

from __future__ import annotations

import argparse
import json

from cluster_bench import compare, quiet, save

PARAMS = {
    "channels": (32, 64, 128),
    "latent_dim": 6,
    "batch_size": 64,
    "pretrain_epochs": 200,
    "patience": 10,
    "n_pretrain": 5,
    "n_init": 20,
    "dec_max_epochs": 100,
    "update_interval": 30,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument(
        "--set", nargs="*", default=[], metavar="KEY=VALUE", help="override a DEC parameter"
    )
    parser.add_argument(
        "--defaults",
        action="store_true",
        help="the estimator's defaults (no PARAMS; writes cluster_digits_defaults.json)",
    )
    parser.add_argument("--name", default=None, help="results file name")
    args = parser.parse_args()
    params = {} if args.defaults else dict(PARAMS)
    args.name = args.name or ("cluster_digits_defaults" if args.defaults else "cluster_digits")
    for item in args.set:
        key, value = item.split("=", 1)
        params[key] = json.loads(value)
    quiet()
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).reshape(-1, 1, 8, 8).astype("float32")
    result = compare(X, y, 10, params, args.seeds)
    result["data"] = "sklearn load_digits, 1797 images 8x8, 10 classes"
    result["params"] = {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
    save(args.name, result)


if __name__ == "__main__":
    main()
