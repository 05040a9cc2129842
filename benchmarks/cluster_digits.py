"""DEC on scikit-learn's load_digits (1,797 real 8x8 handwritten digits, 10 classes).

The usual DEC sanity check. Pixels scaled to [0, 1] (division by 16, no fit);
all 1,797 images clustered, labels only used to score (ACC with the Hungarian
mapping, NMI, ARI), side by side with CAE + KMeans (DEC's starting point) and
raw KMeans on the pixels.

    python benchmarks/cluster_digits.py [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse

from cluster_bench import compare, quiet, save

PARAMS = {
    "channels": (32, 64, 128),
    "latent_dim": 6,
    "batch_size": 64,
    "pretrain_epochs": 200,
    "patience": 10,
    "n_init": 20,
    "dec_max_epochs": 100,
    "update_interval": 30,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    quiet()
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).reshape(-1, 1, 8, 8).astype("float32")
    result = compare(X, y, 10, PARAMS, args.seeds)
    result["data"] = "sklearn load_digits, 1797 images 8x8, 10 classes"
    result["params"] = {k: list(v) if isinstance(v, tuple) else v for k, v in PARAMS.items()}
    save("cluster_digits", result)


if __name__ == "__main__":
    main()
