"""Explanations: arrays without pickle, profiles, faithfulness, every explainer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from seislearn.explain.api import explain, select_events
from seislearn.explain.faithfulness import deletion_curve
from seislearn.explain.methods import attribute


def test_explain_writes_attributions_profiles_and_deletion_curves(
    trained_run: Path, events_dir
) -> None:
    result = explain(trained_run, events_dir, n=4, nsamples=8, cross_check=True)
    out = Path(result["path"])
    with np.load(out / "attributions.npz", allow_pickle=False) as saved:
        assert saved["attributions"].shape == saved["inputs"].shape
        assert saved["attributions"].shape[1:] == (3, 33, 77)
    profile = pd.read_csv(out / "frequency_profile.csv")
    assert set(profile["component"]) == {"Z", "N", "E"}
    assert {"gradient", "ig"} == set(result["deletion"])
    for name in ("mean_maps", "deletion", "time_profile", "frequency_profile"):
        assert (out / "figures" / f"{name}.png").is_file()


def test_only_correctly_classified_events_are_explained() -> None:
    y = np.array([0, 0, 1, 1, 1])
    predicted = np.array([0, 1, 1, 0, 1])
    assert select_events(y, predicted, n=10).tolist() == [0, 2, 4]


def _linear_model() -> nn.Module:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 5, 2))
    with torch.no_grad():
        model[1].weight.copy_(torch.randn(2, 60) * 2)
    return model.eval()


@pytest.mark.parametrize("method", ["gradient", "deep", "partition", "ig"])
def test_every_explainer_returns_maps_shaped_like_the_inputs(method: str) -> None:
    model = _linear_model()
    x = np.random.default_rng(1).normal(size=(4, 3, 4, 5)).astype(np.float32)
    background = np.random.default_rng(2).normal(size=(8, 3, 4, 5)).astype(np.float32)
    attr = attribute(
        model, x, np.array([0, 1, 0, 1]), method, background, nsamples=16, max_evals=200
    )
    assert attr.shape == x.shape and np.isfinite(attr).all()


def test_ig_of_a_linear_logit_is_weight_times_input() -> None:
    model = _linear_model()
    x = np.random.default_rng(1).normal(size=(2, 3, 4, 5)).astype(np.float32)
    attr = attribute(model, x, np.array([1, 1]), "ig")
    expected = model[1].weight[1].detach().numpy().reshape(3, 4, 5) * x
    np.testing.assert_allclose(attr, expected, atol=1e-4)


def test_deleting_top_attributed_pixels_lowers_the_score_faster_than_random() -> None:
    model = _linear_model()
    x = np.random.default_rng(3).normal(size=(20, 3, 4, 5)).astype(np.float32)
    targets = np.ones(20, dtype=int)
    good = attribute(model, x, targets, "ig")
    curve = deletion_curve(model, x, good, targets)
    assert curve["faster_than_random"]
    reverse = deletion_curve(model, x, -good, targets)
    assert not reverse["faster_than_random"]
