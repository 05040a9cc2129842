"""The self-supervised patch encoder: attribute, augmentations, loss, Lightning training."""

from __future__ import annotations

import numpy as np
import torch

from seislearn.data.synthetic_images import make_patch
from seislearn.images.encoder import PatchAugment, PatchEncoder, discontinuity, nt_xent_loss
from seislearn.images.ssl import SSLConfig, train_ssl_encoder
from seislearn.io.images import stack_scaled


def patches_of(label: str, n: int, seed: int = 0) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    images = [make_patch(label, rng) for _ in range(n)]
    return torch.from_numpy(stack_scaled(images, 48))[:, None]


def test_discontinuity_is_low_on_continuous_reflectors_and_high_in_chaotic_zones():
    horizon = discontinuity(patches_of("horizon", 4)).mean()
    chaotic = discontinuity(patches_of("chaotic", 4)).mean()
    assert horizon < 0.2 < chaotic


def test_discontinuity_marks_the_fault_line():
    # The offset makes a line of high values that a continuous section does not have.
    def high_values(x: torch.Tensor) -> float:
        return float(torch.quantile(discontinuity(x).flatten(1), 0.99, dim=1).mean())

    assert high_values(patches_of("fault", 8)) > high_values(patches_of("horizon", 8)) + 0.05


def test_augment_keeps_shape_and_range_and_differs_between_calls():
    x = patches_of("salt_dome", 3)
    augment = PatchAugment(gamma=2.0, vertical_stretch=1.3)
    a, b = augment(x), augment(x)
    assert a.shape == x.shape and float(a.min()) >= 0 and float(a.max()) <= 1
    assert not torch.allclose(a, b)


def test_nt_xent_is_lower_when_views_match_than_when_they_are_shuffled():
    torch.manual_seed(0)
    z = torch.nn.functional.normalize(torch.randn(16, 8), dim=1)
    noisy = torch.nn.functional.normalize(z + 0.05 * torch.randn_like(z), dim=1)
    assert nt_xent_loss(z, noisy) < nt_xent_loss(z, noisy[torch.randperm(16)])


def test_encoder_with_attribute_takes_grayscale_patches():
    encoder = PatchEncoder(widths=[8, 16], feature_dim=12, attribute=True)
    h = encoder(torch.rand(3, 1, 32, 32))
    assert h.shape == (3, 12)
    assert encoder.project(h).norm(dim=1).allclose(torch.ones(3), atol=1e-5)


def test_training_checkpoints_and_returns_an_encoder_in_eval_mode(tmp_path):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    labels = ["horizon", "fault", "chaotic", "salt_dome"] * 10
    images = stack_scaled([make_patch(lab, rng, 48) for lab in labels], 32)
    cfg = SSLConfig(input_size=32, widths=[8, 16, 32], feature_dim=16, epochs=3, batch_size=16)
    encoder, history = train_ssl_encoder(images, cfg, tmp_path, seed=0, progress=False)
    assert history["n_train"] + history["n_dev"] == 40
    assert (tmp_path / "last.ckpt").is_file()
    assert not encoder.training


def test_encoder_needs_at_least_one_input_channel():
    import pytest

    with pytest.raises(ValueError, match="amplitude or the attribute"):
        PatchEncoder(attribute=False, amplitude=False)


def test_default_epochs_follow_the_number_of_patches():
    from seislearn.images.ssl import SSLConfig, auto_epochs

    assert SSLConfig().epochs is None
    assert auto_epochs(1700, 64) == 30  # 2,000 patches: the old fixed default
    assert auto_epochs(8500, 64) == 8  # 10,000 patches: the tuned setting
    assert auto_epochs(10**6, 64) == 4
    sizes = [auto_epochs(n, 64) for n in range(64, 200_000, 997)]
    assert sizes == sorted(sizes, reverse=True)
