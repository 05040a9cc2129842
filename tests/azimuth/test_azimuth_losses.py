"""Losses compare angles on the circle and tie positives and negatives to each anchor."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seislearn.azimuth.losses import (
    circular_contrastive_loss,
    circular_triplet_loss,
    cosine_angle_loss,
    pairwise_wrapped_difference_deg,
    von_mises_nll,
)
from seislearn.azimuth.module import rotate_horizontals


def _ring(angles_deg):
    rad = torch.deg2rad(torch.as_tensor(angles_deg, dtype=torch.float32))
    return torch.stack([torch.cos(rad), torch.sin(rad)], -1) * 10.0


def test_triplet_positives_wrap_around_north():
    diff = pairwise_wrapped_difference_deg(torch.tensor([359.0, 1.0, 180.0]))
    assert diff[0, 1] == pytest.approx(2.0)
    assert diff[0, 2] == pytest.approx(179.0)


def test_triplet_loss_is_zero_for_an_embedding_ordered_on_a_ring():
    angles = torch.tensor([0.0, 5.0, 90.0, 95.0, 180.0, 185.0, 270.0, 355.0])
    assert circular_triplet_loss(_ring(angles), angles, delta_deg=10.0).item() == 0.0


def test_triplet_loss_penalizes_embedding_that_ignores_wrap():
    angles = torch.tensor([358.0, 2.0, 90.0, 180.0])
    # 358 placed beside 180 and far from 2: the anchor 2 has its positive far away.
    embedding = _ring(torch.tensor([178.0, 2.0, 90.0, 180.0]))
    assert circular_triplet_loss(embedding, angles, delta_deg=10.0).item() > 0.0


def test_semi_hard_mining_never_exceeds_batch_hard():
    torch.manual_seed(0)
    z, angles = torch.randn(64, 4), torch.rand(64) * 360
    hard = circular_triplet_loss(z, angles, mining="batch_hard")
    semi = circular_triplet_loss(z, angles, mining="semi_hard")
    assert semi.item() <= hard.item() + 1e-6


def test_contrastive_pulls_similar_targets_together_across_north():
    targets = torch.tensor([359.5, 0.5])
    apart = circular_contrastive_loss(torch.tensor([350.0, 10.0]), targets)
    together = circular_contrastive_loss(torch.tensor([359.0, 1.0]), targets)
    assert together < apart


def test_contrastive_pushes_dissimilar_targets_apart():
    targets = torch.tensor([0.0, 90.0])
    collapsed = circular_contrastive_loss(torch.tensor([45.0, 45.0]), targets)
    separated = circular_contrastive_loss(torch.tensor([0.0, 90.0]), targets)
    assert separated.item() == 0.0 and collapsed.item() > 0.0


def test_angle_losses_are_smallest_at_the_true_angle_across_north():
    target = torch.tensor([359.0])
    kappa = torch.tensor([50.0])
    near = _ring(torch.tensor([1.0]))
    far = _ring(torch.tensor([20.0]))
    assert cosine_angle_loss(near, target) < cosine_angle_loss(far, target)
    assert von_mises_nll(near, kappa, target) < von_mises_nll(far, kappa, target)


def test_rotating_horizontals_turns_the_polarization_back_azimuth_by_the_same_angle():
    from seislearn.evaluation.polarization import polarization_analysis

    t = np.linspace(0, 1, 100)
    b, i = np.radians(40.0), np.radians(30.0)
    w = np.array([np.cos(i), -np.sin(i) * np.cos(b), -np.sin(i) * np.sin(b)])[:, None] * np.sin(
        6 * np.pi * t
    )
    rotated, baz = rotate_horizontals(
        torch.tensor(w[None], dtype=torch.float32), torch.tensor([40.0]), torch.tensor([335.0])
    )
    result = polarization_analysis(rotated.numpy())
    assert baz.item() == pytest.approx(15.0)
    assert result.back_azimuth_deg[0] == pytest.approx(15.0, abs=1e-3)
