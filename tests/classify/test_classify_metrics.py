"""Classification and regression metrics."""

from __future__ import annotations

import numpy as np
import pytest

from seislearn.evaluation.classification import (
    class_weights,
    classification_metrics,
    regression_metrics,
)


def test_balanced_accuracy_averages_recall_over_classes() -> None:
    y = np.array([0, 0, 0, 0, 1])
    prob = np.array([[0.9, 0.1]] * 4 + [[0.8, 0.2]])
    m = classification_metrics(y, prob, ["a", "b"])
    assert m["accuracy"] == pytest.approx(0.8)
    assert m["balanced_accuracy"] == pytest.approx(0.5)
    assert m["confusion_matrix"] == [[4, 0], [1, 0]]
    assert m["per_class"]["b"]["recall"] == 0.0


def test_roc_auc_is_one_vs_rest_for_three_classes() -> None:
    y = np.array([0, 1, 2, 0, 1, 2])
    prob = np.eye(3)[y] * 0.7 + 0.1
    m = classification_metrics(y, prob, ["a", "b", "c"])
    assert m["roc_auc"] == pytest.approx(1.0)
    assert m["balanced_accuracy"] == pytest.approx(1.0)


def test_roc_auc_is_none_when_a_class_is_absent() -> None:
    m = classification_metrics(np.array([0, 0]), np.array([[0.6, 0.4], [0.7, 0.3]]), ["a", "b"])
    assert m["roc_auc"] is None


def test_regression_metrics_of_a_constant_offset() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    m = regression_metrics(y, y + 0.5)
    assert m["mae"] == pytest.approx(0.5)
    assert m["rmse"] == pytest.approx(0.5)
    assert m["bias"] == pytest.approx(0.5)
    assert m["r2"] == pytest.approx(1 - 4 * 0.25 / 5.0)


def test_class_weights_are_inverse_frequency() -> None:
    w = class_weights(np.array([0, 0, 0, 1]), 2)
    assert w[1] / w[0] == pytest.approx(3.0)
