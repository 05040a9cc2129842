"""Benchmark: P64/P32/S64/S32 spectrogram CNNs telling two synthetic source populations apart.

Synthetic events (``seislearn.data.synthetic``) come from two populations that
differ only in stress drop (hence corner frequency at a given magnitude);
magnitude, distance, depth and SNR are drawn independently of the population.
A control fits logistic regression on that metadata alone: it must stay near
chance, so the CNN cannot score from anything but the source spectrum.
Splits are by event. Results: ``benchmarks/results/classify_variants.json``.

Usage: ``python benchmarks/classify_variants.py [--n 1500] [--variants P64,P32,S64,S32]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

from results_io import save_result


def metadata_control(meta, seed: int) -> float:
    """Balanced accuracy of logistic regression on non-spectral metadata (train -> test)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.preprocessing import StandardScaler

    cols = ["source_magnitude", "path_ep_distance_km", "source_depth_km", "trace_snr_db"]
    x = meta[cols].to_numpy(float)
    y = (meta["source_type"] == "high_stress").to_numpy(int)
    train, test = (meta["split"] == "train").to_numpy(), (meta["split"] == "test").to_numpy()
    scaler = StandardScaler().fit(x[train])
    model = LogisticRegression(random_state=seed).fit(scaler.transform(x[train]), y[train])
    return float(balanced_accuracy_score(y[test], model.predict(scaler.transform(x[test]))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1500)
    parser.add_argument("--variants", default="P64,P32,S64,S32")
    parser.add_argument(
        "--epochs", type=int, help="maximum epochs (default: the library's, as `classify train`)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--populations",
        default="-1.0,0.1,1.5,0.1",
        help="log10 stress drop (MPa) mean,sd of low_stress then high_stress",
    )
    parser.add_argument("--magnitudes", default="1.5,3.0", help="magnitude range")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from seislearn.classify.api import train_variants
    from seislearn.classify.config import ClassifyConfig
    from seislearn.data.synthetic import SyntheticConfig, make_events
    from seislearn.io.seisbench import write_seisbench

    t0 = time.perf_counter()
    lo_m, lo_s, hi_m, hi_s = (float(v) for v in args.populations.split(","))
    mags = tuple(float(v) for v in args.magnitudes.split(","))
    config = SyntheticConfig(
        populations={"low_stress": (lo_m, lo_s), "high_stress": (hi_m, hi_s)},
        magnitude_range=mags,
    )
    dataset = make_events(args.n, seed=args.seed, config=config)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        write_seisbench(dataset, data)
        # The library's defaults (what `classify train --target source_type` gives): only
        # the data (the populations above) are chosen for the benchmark.
        training = {} if args.epochs is None else {"epochs": args.epochs}
        cfg = ClassifyConfig(target="source_type", training=training)
        table = train_variants(data, cfg, args.variants.split(","), Path(tmp) / "run")
    result = {
        "benchmark": "classify_variants",
        "command": "python " + " ".join(sys.argv),
        "training": cfg.training.model_dump(),
        "data": f"make_events({args.n}, seed={args.seed}); SyntheticConfig populations "
        f"low_stress log10 MPa {lo_m}+-{lo_s}, high_stress {hi_m}+-{hi_s}, magnitudes {mags}, "
        "other fields default (5-80 km, SNR 0-20 dB)",
        "split": "by event (seeded), 0.7/0.15/0.15",
        "metadata_only_control_balanced_accuracy": metadata_control(dataset.metadata, args.seed),
        "variants": table.to_dict(orient="records"),
        "wall_s": round(time.perf_counter() - t0, 1),
        "threads": args.threads,
        "conditions": "2 shared CPU cores, several other jobs running (timings under contention)",
    }
    save_result("classify_variants", result, echo=True, default=str)


if __name__ == "__main__":
    main()
