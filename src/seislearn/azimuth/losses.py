"""Losses of the metric-learning workflows, all angle-aware.

* :func:`circular_triplet_loss`: triplet loss on embeddings, positives and
  negatives chosen *per anchor* by the wrapped angle difference, with batch-hard
  or semi-hard mining.
* :func:`circular_contrastive_loss`: pairs of predictions with similar targets
  are pulled together, pairs with dissimilar targets kept at least a margin
  apart, all differences wrapped on the circle.
* :func:`cosine_angle_loss` and :func:`von_mises_nll`: regression of an angle
  encoded as (cos, sin), and its negative log-likelihood with a predicted
  concentration (the per-prediction uncertainty).

Angles are in degrees in the public arguments; tensors are torch.
"""

from __future__ import annotations

import math
from typing import Literal

import torch

Mining = Literal["batch_hard", "semi_hard"]


def wrapped_difference_deg(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Absolute angle difference on the circle, degrees in [0, 180]."""
    d = torch.remainder(a - b, 360.0)
    return torch.minimum(d, 360.0 - d)


def pairwise_wrapped_difference_deg(angles_deg: torch.Tensor) -> torch.Tensor:
    """Matrix of absolute wrapped differences between all pairs, shape (n, n), degrees."""
    return wrapped_difference_deg(angles_deg[:, None], angles_deg[None, :])


def circular_triplet_loss(
    embeddings: torch.Tensor,
    angles_deg: torch.Tensor,
    delta_deg: float = 10.0,
    margin: float = 1.0,
    mining: Mining = "batch_hard",
    squared: bool = True,
) -> torch.Tensor:
    """Anchor-tied triplet loss whose positives are close *on the circle*.

    For each anchor ``a``: positives ``p != a`` with wrapped ``|angle_p - angle_a| < delta``,
    negatives ``n`` with ``|angle_n - angle_a| >= delta``. The loss is
    ``max(0, d(a, p) - d(a, n) + margin)`` averaged over anchors that have both.

    Parameters
    ----------
    embeddings : Tensor, shape (n, d)
    angles_deg : Tensor, shape (n,), degrees
    delta_deg : float, degrees, threshold between positives and negatives
    margin : float, in embedding distance units
    mining : {"batch_hard", "semi_hard"}
        ``batch_hard``: the farthest positive and the nearest negative of each
        anchor. ``semi_hard``: the farthest positive and the nearest negative that
        is still farther than it (falls back to the nearest negative when none is).
    squared : bool, squared Euclidean distances (as in the original study)
    """
    diff = embeddings[:, None, :] - embeddings[None, :, :]
    dist = (diff**2).sum(-1)
    if not squared:
        dist = torch.sqrt(dist + 1e-12)
    angle_diff = pairwise_wrapped_difference_deg(angles_deg)
    eye = torch.eye(len(angles_deg), dtype=torch.bool, device=embeddings.device)
    positive = (angle_diff < delta_deg) & ~eye
    negative = angle_diff >= delta_deg
    valid = positive.any(1) & negative.any(1)
    if not bool(valid.any()):
        return embeddings.sum() * 0.0
    inf = torch.finfo(dist.dtype).max
    hardest_positive = torch.where(positive, dist, torch.zeros_like(dist)).max(1).values
    if mining == "batch_hard":
        negative_dist = torch.where(negative, dist, torch.full_like(dist, inf)).min(1).values
    elif mining == "semi_hard":
        farther = negative & (dist > hardest_positive[:, None])
        semi = torch.where(farther, dist, torch.full_like(dist, inf)).min(1).values
        hardest = torch.where(negative, dist, torch.full_like(dist, inf)).min(1).values
        negative_dist = torch.where(farther.any(1), semi, hardest)
    else:
        raise ValueError(f"unknown mining {mining!r}; use 'batch_hard' or 'semi_hard'")
    loss = torch.relu(hardest_positive - negative_dist + margin)
    return loss[valid].mean()


def circular_contrastive_loss(
    predicted_deg: torch.Tensor,
    target_deg: torch.Tensor,
    similar_deg: float = 2.0,
    min_difference_deg: float = 5.0,
) -> torch.Tensor:
    """Contrastive term on predicted angles, with wrapped differences.

    Pairs whose targets differ by at most ``similar_deg`` pay the squared
    difference of their predictions; other pairs pay
    ``max(0, min_difference_deg - |d predicted|)^2``. Differences are scaled to
    radians so the term is comparable with :func:`cosine_angle_loss`.
    """
    target_diff = pairwise_wrapped_difference_deg(target_deg)
    predicted_diff = torch.deg2rad(pairwise_wrapped_difference_deg(predicted_deg))
    similar = target_diff <= similar_deg
    off_diagonal = ~torch.eye(len(target_deg), dtype=torch.bool, device=predicted_deg.device)
    pull = predicted_diff**2
    push = torch.relu(math.radians(min_difference_deg) - predicted_diff) ** 2
    per_pair = torch.where(similar, pull, push)
    return per_pair[off_diagonal].mean() if off_diagonal.any() else predicted_deg.sum() * 0.0


def angle_to_unit(angles_deg: torch.Tensor) -> torch.Tensor:
    """(cos, sin) of angles in degrees, shape (..., 2)."""
    rad = torch.deg2rad(angles_deg)
    return torch.stack([torch.cos(rad), torch.sin(rad)], dim=-1)


def unit_to_angle_deg(vectors: torch.Tensor) -> torch.Tensor:
    """Angle in [0, 360) degrees of (cos, sin) vectors of any length, shape (..., 2)."""
    return torch.remainder(torch.rad2deg(torch.atan2(vectors[..., 1], vectors[..., 0])), 360.0)


def cosine_angle_loss(predicted: torch.Tensor, target_deg: torch.Tensor) -> torch.Tensor:
    """``1 - cos(predicted - target)``, mean; ``predicted`` is (cos, sin) of any length."""
    unit = predicted / predicted.norm(dim=-1, keepdim=True).clamp_min(1e-6)
    return (1.0 - (unit * angle_to_unit(target_deg)).sum(-1)).mean()


def von_mises_nll(
    predicted: torch.Tensor, kappa: torch.Tensor, target_deg: torch.Tensor
) -> torch.Tensor:
    """Negative log-likelihood of the targets under von Mises laws (mean over samples).

    ``-kappa cos(target - mu) + log(2 pi I0(kappa))``, with ``log I0`` computed from
    the exponentially scaled Bessel function so large concentrations stay finite.
    """
    unit = predicted / predicted.norm(dim=-1, keepdim=True).clamp_min(1e-6)
    cos_error = (unit * angle_to_unit(target_deg)).sum(-1)
    log_i0 = torch.log(torch.special.i0e(kappa)) + kappa
    return (-kappa * cos_error + log_i0 + math.log(2 * math.pi)).mean()


def vae_kl_divergence(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)), summed over latent dimensions, mean over the batch."""
    return (-0.5 * (1 + logvar - mean**2 - logvar.exp()).sum(-1)).mean()
