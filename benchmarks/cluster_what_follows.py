"""What the clusters of the tour's synthetic events follow: source type, S-P time or magnitude.

The tour clusters ``seislearn data synth events`` (default settings: magnitude
1-3.5, distances of tens of km, two stress-drop populations in ``source_type``).
Raw KMeans on the spectrograms of the ``cluster`` workflow is the probe (no
network: it shows what the features hold, in seconds). For each feature
setting, k = 2 and 3, the normalized mutual information of the clusters with
``source_type``, with the S-P time in terciles, with the magnitude in terciles,
and the Hungarian ACC on ``source_type``.

Settings: the workflow's default features (20 s from 2 s before P: the window
holds P and S, so the S-P time moves the S energy across it), and a P-only
window (1 s before to 3 s after P, 1-45 Hz; the demo's setting), which takes
the S-P time out of the window.

    python benchmarks/cluster_what_follows.py [--n 600] [--seed 1]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from cluster_bench import quiet, save

SETTINGS = {
    "workflow default (20 s from 2 s before P, 1-20 Hz)": {},
    "P only (1 s before to 3 s after P, 1-45 Hz)": {
        "start_s": -1.0,
        "length_s": 4.0,
        "nperseg": 64,
        "freqmax": 45.0,
        "fmax": 45.0,
    },
}


def terciles(values: pd.Series) -> np.ndarray:
    return pd.qcut(values.astype(float).rank(method="first"), 3, labels=False).to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=600, help="synthetic events")
    parser.add_argument("--seed", type=int, default=1, help="seed of the events")
    args = parser.parse_args()
    quiet()
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score as nmi

    from seislearn.cluster.features import FeatureConfig, compute_spectrograms
    from seislearn.data import schema
    from seislearn.data.synthetic import make_events
    from seislearn.evaluation.clustering import clustering_scores
    from seislearn.io import read_dataset
    from seislearn.io.seisbench import write_seisbench

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        write_seisbench(make_events(args.n, seed=args.seed), Path(tmp) / "events")
        ds = read_dataset(Path(tmp) / "events")
        for name, overrides in SETTINGS.items():
            f = compute_spectrograms(ds, FeatureConfig(**overrides), on_error="skip")
            meta = f.metadata
            flat = f.spectrograms.reshape(len(f.spectrograms), -1)
            sp = meta[schema.S_ARRIVAL].astype(float) - meta[schema.P_ARRIVAL].astype(float)
            truth = {
                "source_type": meta["source_type"].astype(str).to_numpy(),
                "s_p_terciles": terciles(sp),
                "magnitude_terciles": terciles(meta[schema.SOURCE_MAGNITUDE]),
            }
            for k in (2, 3):
                labels = KMeans(k, n_init=10, random_state=0).fit_predict(flat)
                row = {
                    "features": name,
                    "feature_overrides": overrides,
                    "k": k,
                    "n_traces": len(flat),
                    "acc_source_type": clustering_scores(truth["source_type"], labels)["acc"],
                    **{f"nmi_{key}": float(nmi(value, labels)) for key, value in truth.items()},
                }
                rows.append(row)
                print(
                    f"{name}, k={k}: ACC source_type {row['acc_source_type']:.3f}; NMI "
                    f"source_type {row['nmi_source_type']:.3f}, S-P {row['nmi_s_p_terciles']:.3f}, "
                    f"magnitude {row['nmi_magnitude_terciles']:.3f}",
                    flush=True,
                )
    save(
        "cluster_what_follows",
        {
            "data": f"seislearn.data.synthetic.make_events({args.n}, seed={args.seed}), defaults",
            "probe": "raw KMeans (n_init 10) on the flattened spectrograms",
            "rows": rows,
        },
    )


if __name__ == "__main__":
    main()
