"""Small heads that map an embedding to targets."""

from __future__ import annotations

import torch
from torch import nn


class AngleHead(nn.Module):
    """MLP from an embedding to arrival angles with a per-prediction concentration.

    Outputs a dict of tensors:

    * ``back_azimuth``: (cos, sin) of the back-azimuth, shape (batch, 2), not normalized;
    * ``kappa``: von Mises concentration of the back-azimuth, shape (batch,), > 0;
    * ``incidence``: (cos, sin) of the incidence angle, shape (batch, 2) (if enabled).

    Parameters
    ----------
    in_dim : int, embedding size (plus any extra features)
    hidden : tuple of int, widths of the hidden layers
    dropout : float, dropout after each hidden layer
    incidence : bool, also predict the incidence angle
    """

    def __init__(
        self,
        in_dim: int,
        hidden: tuple[int, ...] | list[int] = (128, 64),
        dropout: float = 0.1,
        incidence: bool = True,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.BatchNorm1d(in_dim)]
        previous = in_dim
        for width in hidden:
            layers += [nn.Linear(previous, int(width)), nn.SiLU(), nn.Dropout(dropout)]
            previous = int(width)
        self.body = nn.Sequential(*layers)
        self.incidence = incidence
        self.out = nn.Linear(previous, 5 if incidence else 3)

    def forward(self, embedding: torch.Tensor) -> dict[str, torch.Tensor]:
        raw = self.out(self.body(embedding))
        result = {
            "back_azimuth": raw[:, 0:2],
            # A log-parametrized concentration reaches the large values (kappa ~ 1e3 for
            # ~2 degrees) in few steps; the clamp keeps the Bessel terms finite.
            "kappa": torch.exp(raw[:, 2].clamp(-4.0, 12.0)),
        }
        if self.incidence:
            result["incidence"] = raw[:, 3:5]
        return result


def covariance_features(windows: torch.Tensor) -> torch.Tensor:
    """Scale-free ZNE covariance: the 6 unique entries divided by the trace, shape (batch, 6)."""
    x = windows - windows.mean(-1, keepdim=True)
    cov = torch.einsum("nci,ndi->ncd", x, x) / x.shape[-1]
    trace = cov.diagonal(dim1=1, dim2=2).sum(-1, keepdim=True).clamp_min(1e-12)
    rows, cols = torch.triu_indices(3, 3)
    return cov[:, rows, cols] / trace


class AzimuthNet(nn.Module):
    """VAE encoder plus angle head: the whole predictor, saved and loaded as one model.

    Parameters
    ----------
    vae_args : dict, arguments of :class:`seislearn.models.vae.ConvVAE`
    head_args : dict, arguments of :class:`AngleHead` except ``in_dim``
    covariance_window : (int, int), optional, samples
        When given, the 6 covariance features of ``window[:, :, start:stop]`` (the
        first motion after P) are appended to the embedding as head inputs.
    """

    def __init__(
        self,
        vae_args: dict,
        head_args: dict | None = None,
        covariance_window: tuple[int, int] | list[int] | None = None,
    ) -> None:
        super().__init__()
        from seislearn.models.vae import ConvVAE

        self.vae = ConvVAE(**vae_args)
        self.covariance_window = None if covariance_window is None else tuple(covariance_window)
        n_extra = 6 if self.covariance_window else 0
        self.head = AngleHead(self.vae.latent_dim + n_extra, **(head_args or {}))

    def embed(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Latent mean and log-variance of windows ``x``."""
        return self.vae.encode(x)

    def head_input(self, mean: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Embedding, with the covariance features of ``x`` appended when the model uses them."""
        if self.covariance_window:
            start, stop = self.covariance_window
            return torch.cat([mean, covariance_features(x[:, :, start:stop])], dim=-1)
        return mean

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        mean, _ = self.embed(x)
        out = self.head(self.head_input(mean, x))
        out["embedding"] = mean
        return out
