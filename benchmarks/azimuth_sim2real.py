"""Benchmark: from synthetic to real. A model trained on synthetic events only, on real data.

Training data: ``seislearn data synth events`` with the options in ``--synth`` (the
command's own defaults when empty, i.e. the product's defaults), generated in memory,
cut to P windows with the same window settings as the real data. Real data:
``seisbench_dummy`` (CX.PB01, 20 Hz), P picked by PhaseNetLight (local ETHZ weights),
back-azimuth truth from event and station coordinates (ObsPy geodetics). The real
traces are never used for training the synthetic-only model (``--noise-from`` takes
only their pre-P noise, no labels).

Per seed (the seed sets the synthetic events, the training and the folds):

* **model**: the synthetic-only model on all picked real traces;
* **polarization**: covariance polarization analysis, window chosen on the synthetic
  train split (as ``seislearn azimuth evaluate`` does);
* **station-calibrated polarization**: polarization plus the station correction
  ``c0 + a1 cos + b1 sin + a2 cos 2 + b2 sin 2`` of the estimate, fitted by least
  squares on real traces **not scored**: 5-fold cross-validation by event, each trace
  corrected by the fit on the other four folds (about 79 traces);
* **model, station-calibrated**: the same cross-validated correction applied to the
  model's output (test-time station calibration, a lever);
* **fine-tuned**: the synthetic model fine-tuned (``--init-from``) on 20 labelled real
  traces (drawn by event with the seed; 16 train, 4 dev for early stopping), scored on
  the remaining traces, beside polarization and polarization calibrated on the same 20.
  Only the angle head is trained (``training.mode=two_stage``, one VAE epoch,
  ``training.freeze_encoder=true``, Adam 3e-4, batch 16, at most 60 epochs, patience 10);
  ``--finetune-mix N`` adds end-to-end fine-tuning on the 16 traces joined to N synthetic
  train windows. ``--variants defaults`` fine-tunes with ``azimuth train --init-from``'s
  own defaults (``training.finetune_mix`` and ``training.finetune_members``: 5 cross-fitted
  nets; the synthetic events are written to disk
  for it, since a reused run trained in memory recorded no data path).

Every "model" and "fine-tuned" column predicts as the product does: the test-time
rotation rule (``model.own_station_min_events``) decides per trace from the run's
training stations, and for a fine-tuned run from its check on the 20 labelled traces
(recorded as ``..._stations_checked``); the columns with a number of rotations force it.

Errors are circular (wrapped to [-180, 180)); SNR is estimated from the windows (rms
of the first second after P over rms before P). Subsets by the dataset's own
``split`` column are reported too: ``tune`` (train+dev, the traces levers were judged
on while developing) and ``held_out`` (test, not looked at until the final run).

Usage::

    python benchmarks/azimuth_sim2real.py --seeds 0 1 2
    python benchmarks/azimuth_sim2real.py --seeds 0 --synth "--physics ideal" --name old
    python benchmarks/azimuth_sim2real.py --reuse --variants mixed defaults --finetune-mix 2000
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from seislearn.data import schema
from seislearn.runs import write_json_atomic

if TYPE_CHECKING:
    from seislearn.data.synthetic import SyntheticConfig

RESULTS = Path(__file__).resolve().parent / "results"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
N_LABELLED = 20
#: Orientations averaged by the test-time rotation columns (model.test_time_rotations).
TTA_ROTATIONS = 8


def labelled_by_event(meta, n: int, seed: int) -> np.ndarray:
    """Indices of ``n`` traces drawn whole event by whole event (events in a seeded order)."""
    from seislearn.data.splits import event_ids

    events = event_ids(meta)
    order = np.random.default_rng(seed).permutation(np.unique(events))
    chosen: list[int] = []
    for event in order:
        idx = np.flatnonzero(events == event)
        if len(chosen) + len(idx) <= n:
            chosen.extend(idx.tolist())
        if len(chosen) == n:
            break
    return np.asarray(chosen)


def synth_config(options: str) -> SyntheticConfig:
    """The SyntheticConfig ``seislearn data synth events OPTIONS`` would use."""
    from seislearn.cli.data import add_synth_event_options, synthetic_config_from_args

    parser = argparse.ArgumentParser()
    add_synth_event_options(parser)
    return synthetic_config_from_args(parser.parse_args(shlex.split(options)))


def subset_metrics(pred, true, snr, split, angle_metrics) -> dict:
    out = {"all": angle_metrics(pred, true, snr)}
    for name, keep in (("tune", split != "test"), ("held_out", split == "test")):
        if keep.any():
            out[name] = angle_metrics(pred[keep], true[keep], snr[keep])["overall"]
    return out


def cv_correction(estimated, true, meta, seed, folds=5):
    """Each trace corrected by the station correction fitted on the other folds (by event)."""
    from seislearn.data.splits import kfold_by_event
    from seislearn.evaluation.polarization import (
        apply_station_correction,
        fit_station_correction,
    )

    out = np.full(len(estimated), np.nan)
    for train_idx, test_idx in kfold_by_event(meta, folds, seed):
        coef = fit_station_correction(estimated[train_idx], true[train_idx])
        out[test_idx] = apply_station_correction(estimated[test_idx], coef)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=str(SHARED / "seisbench_dummy"))
    parser.add_argument("--weights", default=str(SHARED / "weights" / "phasenetlight_ethz"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-events", type=int, default=3000)
    parser.add_argument(
        "--synth",
        default="--noise-from {data}",
        help="options of `seislearn data synth events` ({data}: the real data set's path)",
    )
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument(
        "--back-azimuth-from",
        choices=["auto", "label", "coordinates"],
        default="auto",
        help="truth policy of the real traces (labels.back_azimuth_from; auto: coordinates "
        "where they exist, a label contradicting them never scored)",
    )
    parser.add_argument(
        "--tta",
        type=int,
        default=TTA_ROTATIONS,
        help="orientations of the test-time rotation columns (model.test_time_rotations)",
    )
    parser.add_argument("--finetune-set", dest="finetune_overrides", action="append", default=[])
    parser.add_argument("--no-finetune", action="store_true")
    parser.add_argument(
        "--finetune-mix",
        type=int,
        default=0,
        help="fine-tune on the 16 labelled real train traces (repeated to a quarter of the "
        "set) joined to this many synthetic train windows (0: real traces only)",
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=["head", "mixed", "defaults"],
        help="fine-tuning variants (default: head, and mixed with --finetune-mix); "
        "defaults: `azimuth train --init-from RUN` with the product's defaults, which mix "
        "the run's synthetic data (training.finetune_mix), written to disk for it",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="reuse synthetic runs already in --runs (same name)"
    )
    parser.add_argument("--runs", default="/tmp/seislearn_azimuth_sim2real")
    parser.add_argument("--name", default="azimuth_sim2real")
    parser.add_argument(
        "--merge",
        nargs="+",
        metavar="NAME",
        help="join results/NAME.json files (one per seed, run in parallel) into --name",
    )
    args = parser.parse_args()
    if args.merge:
        parts = [json.loads((RESULTS / f"{n}.json").read_text()) for n in args.merge]
        results = {**parts[0], "seeds": [s for p in parts for s in p["seeds"]]}
        results["merged_from"] = args.merge
        # Each part's own command and conditions, so the merged file alone says how
        # every seed was run (the top-level ones are the first part's).
        results["parts"] = [
            {"name": n, "command": p.get("command"), "conditions": p.get("conditions")}
            for n, p in zip(args.merge, parts, strict=True)
        ]
        write_json_atomic(RESULTS / f"{args.name}.json", results)
        print_table(results)
        return

    import torch

    from seislearn.azimuth.api import _load_run, fit_bands_to_data, train
    from seislearn.azimuth.config import load_azimuth_config
    from seislearn.azimuth.data import AzimuthData, prepare
    from seislearn.azimuth.evaluate import predict_arrays, rotation_mask
    from seislearn.data.picking import add_picks, load_picker
    from seislearn.data.synthetic import make_events
    from seislearn.evaluation.circular import angle_metrics
    from seislearn.evaluation.polarization import (
        apply_station_correction,
        fit_station_correction,
        polarization_analysis,
    )
    from seislearn.io import read_dataset

    torch.set_num_threads(1)
    overrides = [f"labels.back_azimuth_from={args.back_azimuth_from}", *args.overrides]
    # The bands the defaults choose from the real data's rate (as `azimuth train` on it).
    raw_real = read_dataset(args.data)
    config = fit_bands_to_data(load_azimuth_config(overrides=overrides), raw_real, args.data)
    bands = {
        "window.freqmax_hz": config.window.freqmax_hz,
        "model.covariance_bands_hz": [list(b) for b in config.model.covariance_bands_hz],
    }
    overrides += [
        f"window.freqmax_hz={bands['window.freqmax_hz']}",
        f"model.covariance_bands_hz={bands['model.covariance_bands_hz']}",
    ]
    config = load_azimuth_config(overrides=overrides)
    w = config.window

    def windows(dataset):
        return prepare(
            dataset,
            w.before_s,
            w.after_s,
            w.target_rate_hz,
            w.freqmin_hz,
            w.freqmax_hz,
            on_error="skip",
            labels=config.labels,
        )

    t0 = time.perf_counter()
    picked, no_pick = add_picks(raw_real, load_picker(args.weights))
    real = windows(picked)
    truth = real.truth.summary() if real.truth is not None else None
    print(f"real: {len(real.windows)} P windows ({time.perf_counter() - t0:.0f} s); {no_pick}")
    true, snr = real.back_azimuth_deg, real.snr_db
    split = real.metadata[schema.SPLIT].astype(str).to_numpy()
    synth_options = args.synth.replace("{data}", args.data)

    per_seed = []
    for seed in args.seeds:
        t1 = time.perf_counter()
        run = Path(args.runs) / f"{args.name}_seed{seed}"
        gen_s = 0.0
        reuse = args.reuse and (run / "metrics.json").is_file()
        variant_names = args.variants or ["head"] + (["mixed"] if args.finetune_mix else [])
        synth_folder = Path(args.runs) / f"{args.name}_seed{seed}_synthetic_events"
        if not reuse or "mixed" in variant_names or "defaults" in variant_names:
            cfg = synth_config(synth_options)
            events = make_events(args.n_events, seed=1000 + seed, config=cfg)
            synth = windows(events)
            if "defaults" in variant_names:
                from seislearn.io.seisbench import write_seisbench

                # The product reads the starting run's synthetic data from disk.
                shutil.rmtree(synth_folder, ignore_errors=True)
                write_seisbench(events, synth_folder)
            del events
            gen_s = time.perf_counter() - t1
        if not reuse:
            train("synthetic", run, config, seed=seed, overwrite=True, data=synth)
        net, extra, _ = _load_run(run)
        start, stop = extra["baseline_window"]
        synth_metrics = json.loads((run / "metrics.json").read_text())
        # The product's rule (model.own_station_min_events): traces of a station the
        # model has not learned get the rotation average, its own station's as recorded.
        rule = rotation_mask(
            real.metadata, extra.get("training_stations"), extra.get("own_station_min_events", 0)
        )
        out = predict_arrays(
            net, real.windows, kappa_scale=extra.get("kappa_scale", 1.0), rotate=rule
        )
        model = out["back_azimuth_deg"]
        trained_rotations = net.test_time_rotations
        net.test_time_rotations = 1
        model_1 = predict_arrays(net, real.windows)["back_azimuth_deg"]
        net.test_time_rotations = args.tta
        model_tta = predict_arrays(net, real.windows)["back_azimuth_deg"]
        net.test_time_rotations = trained_rotations
        base = polarization_analysis(real.windows[:, :, start:stop]).back_azimuth_deg
        calibrated = cv_correction(base, true, real.metadata, seed)
        model_calibrated = cv_correction(model, true, real.metadata, seed)
        result = {
            "seed": seed,
            "generate_and_cut_s": round(gen_s, 1),
            "train_s": round(time.perf_counter() - t1 - gen_s, 1),
            "baseline_window_samples": [start, stop],
            "synthetic_test": {
                "model_mae_deg": synth_metrics["model"]["overall"]["mae_deg"],
                "baseline_mae_deg": synth_metrics["baseline"]["overall"]["mae_deg"],
                "epochs": synth_metrics["training"]["end_to_end"]["epochs"],
            },
            "test_time_rotations_of_run": trained_rotations,
            "real_traces_rotated_by_rule": None if rule is None else int(rule.sum()),
            "model": subset_metrics(model, true, snr, split, angle_metrics),
            "model_no_rotations": subset_metrics(model_1, true, snr, split, angle_metrics),
            f"model_{args.tta}_rotations": subset_metrics(
                model_tta, true, snr, split, angle_metrics
            ),
            "polarization": subset_metrics(base, true, snr, split, angle_metrics),
            "polarization_station_calibrated_cv": subset_metrics(
                calibrated, true, snr, split, angle_metrics
            ),
            "model_station_calibrated_cv": subset_metrics(
                model_calibrated, true, snr, split, angle_metrics
            ),
        }
        if not args.no_finetune:
            # 20 traces drawn by whole events with the seed; none of them is ever scored.
            labelled = labelled_by_event(real.metadata, N_LABELLED, seed)
            fold_split = np.full(len(true), "test", dtype=object)
            fold_split[labelled[:16]] = "train"
            fold_split[labelled[16:]] = "dev"
            meta = real.metadata.copy()
            meta[schema.SPLIT] = fold_split
            fold = AzimuthData(
                real.windows,
                meta,
                real.back_azimuth_deg,
                real.incidence_deg,
                real.snr_db,
                real.snr_estimated,
                real.p_index,
                real.sampling_rate,
            )
            variants = {v: fold for v in variant_names if v != "mixed"}
            if "mixed" in variant_names:
                from seislearn.azimuth.data import concatenate

                pool = np.flatnonzero(synth.split == "train")[: args.finetune_mix]
                repeat = max(1, round(len(pool) / 3 / 16))
                real_train = np.repeat(labelled[:16], repeat)
                scored_idx = np.flatnonzero(fold_split == "test")
                keep = np.concatenate([real_train, labelled[16:], scored_idx])
                parts = []
                for source, idx in ((synth, pool), (fold, keep)):
                    m = source.metadata.iloc[idx].reset_index(drop=True).copy()
                    m[schema.TRACE_NAME] = [f"{source is fold}_{k}" for k in range(len(m))]
                    m[schema.SPLIT] = source.split[idx]
                    parts.append(
                        AzimuthData(
                            source.windows[idx],
                            m,
                            source.back_azimuth_deg[idx],
                            source.incidence_deg[idx],
                            source.snr_db[idx],
                            source.snr_estimated,
                            source.p_index,
                            source.sampling_rate,
                        )
                    )
                variants["mixed"] = concatenate(parts)
            scored = fold_split == "test"
            s_true, s_snr, s_split = true[scored], snr[scored], split[scored]
            coef = fit_station_correction(base[labelled], true[labelled])
            base_cal20 = apply_station_correction(base[scored], coef)
            model_cal20 = apply_station_correction(
                model[scored], fit_station_correction(model[labelled], true[labelled])
            )
            result["finetuned"] = {
                "n_labelled": N_LABELLED,
                "labelled_traces": real.metadata[schema.TRACE_NAME].iloc[labelled].tolist(),
                "model_synthetic_only": subset_metrics(
                    model[scored], s_true, s_snr, s_split, angle_metrics
                ),
                "model_calibrated_on_20": subset_metrics(
                    model_cal20, s_true, s_snr, s_split, angle_metrics
                ),
                "polarization": subset_metrics(base[scored], s_true, s_snr, s_split, angle_metrics),
                "polarization_calibrated_on_20": subset_metrics(
                    base_cal20, s_true, s_snr, s_split, angle_metrics
                ),
            }
            for variant, ft_data in variants.items():
                # head: only the angle head learns from the 16 traces, the encoder stays
                # as trained on synthetic events (end to end on 16 traces overfitted);
                # mixed: end to end on the 16 traces joined to synthetic windows.
                # defaults: the product's own defaults, which mix the starting run's
                # synthetic data (read from disk: the reused run recorded none).
                mode = (
                    [
                        "training.mode=two_stage",
                        "training.vae_epochs=1",
                        "training.freeze_encoder=true",
                    ]
                    if variant == "head"
                    else ["training.mode=end_to_end"]
                )
                recipe = [
                    *mode,
                    "training.batch_size=16",
                    "training.head_epochs=60",
                    "training.patience=10",
                    "training.learning_rate=3e-4",
                ]
                if variant == "defaults":
                    recipe = [f"training.finetune_mix_data={synth_folder}"]
                ft_config = load_azimuth_config(
                    overrides=[*overrides, *recipe, *args.finetune_overrides]
                )
                ft_run = Path(args.runs) / f"{args.name}_seed{seed}_finetuned_{variant}"
                train(
                    "real20",
                    ft_run,
                    ft_config,
                    seed=seed,
                    overwrite=True,
                    data=ft_data,
                    init_from=run,
                )
                ft_net, ft_extra, _ = _load_run(ft_run)
                ft_rule = rotation_mask(
                    real.metadata[scored],
                    ft_extra.get("training_stations"),
                    ft_extra.get("own_station_min_events", 0),
                    ft_extra.get("stations_learned_by_check", ()),
                )
                ft = predict_arrays(ft_net, real.windows[scored], rotate=ft_rule)[
                    "back_azimuth_deg"
                ]
                key = {
                    "head": "model_finetuned",
                    "mixed": "model_finetuned_mixed",
                    "defaults": "model_finetuned_defaults",
                }[variant]
                ft_metrics = json.loads((ft_run / "metrics.json").read_text())
                result["finetuned"][f"{key}_finetune_mix"] = ft_metrics.get("finetune_mix")
                result["finetuned"][f"{key}_training"] = ft_metrics["training"]
                result["finetuned"][key] = subset_metrics(ft, s_true, s_snr, s_split, angle_metrics)
                result["finetuned"][f"{key}_traces_rotated_by_rule"] = (
                    None if ft_rule is None else int(ft_rule.sum())
                )
                # The rule's check on the 20 labelled traces (train and dev), never the scored.
                result["finetuned"][f"{key}_stations_checked"] = ft_extra.get("stations_checked")
                for n in (1, args.tta):
                    ft_net.test_time_rotations = n
                    other = predict_arrays(ft_net, real.windows[scored])["back_azimuth_deg"]
                    result["finetuned"][f"{key}_rotations_{n}"] = subset_metrics(
                        other, s_true, s_snr, s_split, angle_metrics
                    )
        per_seed.append(result)
        line = (
            f"seed {seed}: model {result['model']['all']['overall']['mae_deg']:.1f} "
            f"(tune {result['model']['tune']['mae_deg']:.1f}), "
            f"polarization {result['polarization']['all']['overall']['mae_deg']:.1f} "
            f"(tune {result['polarization']['tune']['mae_deg']:.1f}), "
            f"calibrated {result['polarization_station_calibrated_cv']['all']['overall']['mae_deg']:.1f}, "
            f"model+cal {result['model_station_calibrated_cv']['all']['overall']['mae_deg']:.1f}, "
            f"rotations 1: {result['model_no_rotations']['all']['overall']['mae_deg']:.1f}, "
            f"{args.tta}: {result[f'model_{args.tta}_rotations']['all']['overall']['mae_deg']:.1f}"
        )
        if "finetuned" in result:
            f = result["finetuned"]
            for key, label in (
                ("model_finetuned_mixed", "mixed"),
                ("model_finetuned_defaults", "--init-from defaults"),
                ("model_finetuned", "fine-tuned head"),
            ):
                if key in f:
                    line += f"; {label} {f[key]['all']['overall']['mae_deg']:.1f}"
            line += (
                " vs "
                f"polarization {f['polarization']['all']['overall']['mae_deg']:.1f} "
                f"(cal20 {f['polarization_calibrated_on_20']['all']['overall']['mae_deg']:.1f}, "
                f"model cal20 {f['model_calibrated_on_20']['all']['overall']['mae_deg']:.1f})"
            )
        print(line, flush=True)

    results = {
        "conditions": "2 CPU cores shared with other engineers (contended); torch threads 1",
        "data": args.data,
        "picker": "PhaseNetLight ethz (local weights)",
        "n_traces": len(true),
        "skipped": no_pick + real.skipped,
        "n_synthetic_events": args.n_events,
        "synth_options": synth_options,
        "overrides": overrides,
        "bands_chosen_from_data_rate": bands,
        "truth": truth,
        "command": "python benchmarks/azimuth_sim2real.py " + shlex.join(sys.argv[1:]),
        "snr": "estimated from windows",
        "calibration": "5-fold cross-validation by event (kfold_by_event, the seed): each "
        "trace corrected by the fit on the other folds",
        "seeds": per_seed,
    }
    RESULTS.mkdir(exist_ok=True)
    write_json_atomic(RESULTS / f"{args.name}.json", results)
    print_table(results)
    print(f"written {RESULTS / (args.name + '.json')}")


def print_table(results: dict) -> None:
    """Per seed MAE / median (deg), the whole set and by SNR."""
    head = (
        "| seed | model (synthetic only) | polarization | polarization, calibrated (CV) "
        "| model, calibrated (CV) | fine-tuned, head (20 real) | fine-tuned, mixed (20 real) "
        "| fine-tuned, --init-from defaults (20 real) "
        "| polarization on the same | polarization calibrated on the 20 |"
    )
    print(head)
    print("|---" * 10 + "|")
    for r in results["seeds"]:
        cells = [str(r["seed"])]
        for key in (
            "model",
            "polarization",
            "polarization_station_calibrated_cv",
            "model_station_calibrated_cv",
        ):
            o = r[key]["all"]["overall"]
            cells.append(f"{o['mae_deg']:.1f} / {o['median_abs_error_deg']:.1f}")
        f = r.get("finetuned")
        for key in (
            "model_finetuned",
            "model_finetuned_mixed",
            "model_finetuned_defaults",
            "polarization",
            "polarization_calibrated_on_20",
        ):
            if f is None or key not in f:
                cells.append("-")
            else:
                o = f[key]["all"]["overall"]
                cells.append(f"{o['mae_deg']:.1f} / {o['median_abs_error_deg']:.1f}")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
