"""Specification of the convolutional autoencoder."""

from __future__ import annotations

import pytest
import torch

from seislearn.cluster.cae import ConvAutoencoder


@pytest.mark.parametrize("shape", [(87, 67), (8, 8), (33, 96), (1, 5)])
def test_cae_reconstruction_has_the_input_shape_for_any_size(shape: tuple[int, int]) -> None:
    model = ConvAutoencoder(2, shape)
    x = torch.randn(3, 2, *shape)
    assert model(x).shape == x.shape
    assert model.encode(x).shape == (3, 9)


def test_cae_default_bottleneck_matches_the_reference_design() -> None:
    # zClust: input (1, 87, 67) -> 128 x 3 x 3 = 1152 features -> 9-d latent
    model = ConvAutoencoder(1, (87, 67))
    assert model.to_latent.in_features == 1152
    assert model.to_latent.out_features == 9
    convs = [m for m in model.encoder_conv if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [8, 16, 32, 64, 128]
    assert all(c.stride == (2, 2) and c.kernel_size == (3, 3) for c in convs)


def test_cae_rejects_input_of_another_shape() -> None:
    model = ConvAutoencoder(1, (16, 16))
    with pytest.raises(ValueError, match="expected input"):
        model.encode(torch.zeros(2, 1, 16, 17))


def test_cae_rebuilds_from_its_init_args() -> None:
    torch.manual_seed(0)
    model = ConvAutoencoder(1, (10, 13), channels=(4, 8), latent_dim=3)
    x = torch.randn(1, 1, 10, 13)
    rebuilt = ConvAutoencoder(**model.init_args())
    rebuilt.load_state_dict(model.state_dict())
    assert torch.allclose(rebuilt(x), model(x))


def test_cae_learns_to_reconstruct_a_small_set() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = ConvAutoencoder(1, (16, 16), channels=(8, 16), latent_dim=4)
    x = torch.randn(32, 1, 16, 16).cumsum(-1) / 4  # smooth, compressible images
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = torch.nn.functional.mse_loss(model(x), x).item()
    for _ in range(150):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), x)
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first
