"""Demo section of classify and explain: source populations, magnitude, SHAP maps."""

from __future__ import annotations

from pathlib import Path

from seislearn.report.html import Section
from seislearn.runs import RunDir


def demo_section(run: RunDir, data_dir: Path, seed: int, quick: bool) -> Section:
    """Train a P64 CNN on the demo events (source_type; magnitude unless quick) and explain it.

    Artifacts go to ``run.path / "classify"``. ``quick`` trains tiny models for
    one epoch (seconds, for tests); the normal demo takes about 1-1.5 minutes on 2 shared cores.
    """
    import torch

    from seislearn.classify.api import train
    from seislearn.classify.config import ClassifyConfig
    from seislearn.explain.api import explain

    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    root = run.path / "classify"
    model = {"channels": [8, 16]} if quick else {}
    training = {"epochs": 1 if quick else 8, "patience": 4}
    cfg = ClassifyConfig(target="source_type", seed=seed, model=model, training=training)
    result = train(data_dir, cfg, root / "source_type", overwrite=True)
    test = result.metrics["test"]
    section = Section("Classify and explain: spectrogram CNN (P64)")
    section.add_text(
        "A 2D CNN on log10 Spectra64 spectrograms of P-fixed windows (5 s before P, 20 s after), "
        "split by event, inputs standardized with train statistics only. Chance level of the "
        "balanced accuracy is 0.5."
        + (" Quick mode: one epoch of a tiny model, numbers are not meaningful." if quick else "")
    )
    section.add_table(
        "source population (low vs high stress drop), test split",
        ["model", "accuracy", "balanced accuracy", "ROC-AUC"],
        [
            ["CNN P64", test["accuracy"], test["balanced_accuracy"], test["roc_auc"]],
            ["chance", 0.5, 0.5, 0.5],
        ],
    )
    section.add_figure(result.path / "figures" / "training_curves.png", "training curves")
    if not quick:
        mag_cfg = cfg.model_copy(update={"target": "source_magnitude", "task": "regression"})
        mag = train(data_dir, mag_cfg, root / "magnitude", overwrite=True)
        side = mag.metrics.get("side_inputs") or []
        label = "CNN P64" + (f" + side inputs ({', '.join(side)})" if side else "")
        rows = [[label, mag.metrics["test"]["mae"], mag.metrics["test"]["rmse"]]]
        for name, b in mag.metrics["baselines"].items():
            rows.append([name, b["mae"], b["rmse"]])
        section.add_table("magnitude, test split", ["model", "MAE", "RMSE"], rows)
        section.add_figure(mag.path / "figures" / "residuals.png", "magnitude residuals")
    explained = explain(
        result.path,
        data_dir,
        out=root / "explain_gradient",
        n=5 if quick else 20,
        explainer="gradient",
        nsamples=8 if quick else 16,
        cross_check=not quick,
        seed=seed,
        overwrite=True,
    )
    deletion = explained["deletion"]
    section.add_table(
        "faithfulness: deletion-curve area (lower = score falls faster)",
        ["explainer", "top-attributed first", "random order", "faster than random"],
        [[k, v["auc_top"], v["auc_random"], v["faster_than_random"]] for k, v in deletion.items()],
    )
    figures = Path(explained["path"]) / "figures"
    for name in ("mean_maps", "deletion"):
        if (figures / f"{name}.png").is_file():
            section.add_figure(figures / f"{name}.png", f"SHAP gradient explainer: {name}")
    return section
