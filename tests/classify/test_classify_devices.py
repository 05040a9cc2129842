"""Training and prediction at bf16 mixed precision on the CPU (Lightning's precision plugin)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd


def test_bf16_mixed_precision_trains_and_predicts_on_cpu(events_dir, tiny_config, tmp_path):
    from seislearn.classify.api import train
    from seislearn.training.trainer import TrainerConfig

    config = tiny_config.model_copy(
        update={"trainer": TrainerConfig(accelerator="cpu", precision="bf16-mixed")}
    )
    out = tmp_path / "bf16"
    train(events_dir, config, out)
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.0 <= metrics["test"]["balanced_accuracy"] <= 1.0
    table = pd.read_csv(out / "predictions.csv")
    probabilities = table.filter(like="prob").to_numpy(dtype=float)
    assert len(table) > 0 and np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-3)
