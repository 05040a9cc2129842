"""The VAE mirrors any window length; the whole net survives a save/load round trip."""

from __future__ import annotations

import pytest
import torch

from seislearn.azimuth.heads import AzimuthNet
from seislearn.azimuth.vae import ConvVAE
from seislearn.models.serialization import load_model, save_model


@pytest.mark.parametrize("n_samples", [101, 128, 250])
def test_vae_reconstruction_has_the_input_shape(n_samples):
    vae = ConvVAE(n_samples=n_samples, latent_dim=2)
    recon, mean, logvar = vae(torch.randn(4, 3, n_samples))
    assert recon.shape == (4, 3, n_samples)
    assert mean.shape == logvar.shape == (4, 2)


def test_saved_net_predicts_the_same_after_loading(tmp_path):
    args = {
        "vae_args": {"n_samples": 120, "latent_dim": 4},
        "head_args": {"hidden": [16]},
        "covariance_window": [10, 40],
    }
    net = AzimuthNet(**args).eval()
    x = torch.randn(5, 3, 120)
    save_model(net, tmp_path, args, extra={"p_index": 10}, name="azimuth_")
    loaded, extra = load_model(tmp_path, (AzimuthNet,), name="azimuth_")
    assert extra == {"p_index": 10}
    with torch.no_grad():
        a, b = net(x), loaded(x)
    torch.testing.assert_close(a["back_azimuth"], b["back_azimuth"])
    assert (b["kappa"] > 0).all()


def test_polarity_window_makes_opposite_polarities_predict_the_same_angle():
    args = {
        "vae_args": {"n_samples": 120, "latent_dim": 4},
        "head_args": {"hidden": [16]},
        "covariance_window": [10, 40],
    }
    x = torch.randn(6, 3, 120)
    oriented = AzimuthNet(**args, polarity_window=[10, 30]).eval()
    plain = AzimuthNet(**args).eval()
    plain.load_state_dict(oriented.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(oriented(x)["embedding"], oriented(-x)["embedding"])
        torch.testing.assert_close(oriented(x)["back_azimuth"], oriented(-x)["back_azimuth"])
        # Without it the encoder tells the two polarities apart.
        assert not torch.allclose(plain(x)["embedding"], plain(-x)["embedding"])
    # The vertical's largest early sample is positive in what the encoder sees.
    seen = oriented.orient_polarity(x)[:, 0, 10:30]
    assert (seen.gather(1, seen.abs().argmax(1, keepdim=True)) > 0).all()


def test_multiband_covariance_features_do_not_depend_on_amplitude():
    from seislearn.azimuth.heads import MultibandCovariance

    bank = MultibandCovariance(100.0, [[1.0, 5.0], [4.0, 20.0]], [15, 60], start=45)
    x = torch.randn(3, 3, 250)
    torch.testing.assert_close(bank(x), bank(1000.0 * x), rtol=1e-4, atol=1e-5)
    assert bank(x).shape == (3, bank.n_features)


def test_vae_stage_learns_to_reconstruct_instead_of_collapsing(synthetic_small):
    from seislearn.azimuth.data import prepare
    from seislearn.azimuth.module import AzimuthModule

    torch.manual_seed(0)
    data = prepare(synthetic_small, 0.5, 2.0, None, 1.0, 20.0)
    x = torch.tensor(data.windows[:48])
    baz = torch.tensor(data.back_azimuth_deg[:48], dtype=torch.float32)
    module = AzimuthModule({"vae_args": {"n_samples": 250, "latent_dim": 4}}, stage="vae")
    optimizer = torch.optim.Adam(module.net.vae.parameters(), lr=1e-3)
    first = None
    for _ in range(40):
        losses = module._vae_losses(x, baz)
        first = first if first is not None else losses["recon"].item()
        optimizer.zero_grad()
        losses["loss"].backward()
        optimizer.step()
    module.eval()
    final = module._vae_losses(x, baz)
    assert final["recon"].item() < 0.95 * first
    assert final["mean"].std(dim=0).min().item() > 0.05
