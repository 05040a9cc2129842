"""Small heads that map an embedding to targets."""

from __future__ import annotations

import numpy as np
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
        # A linear shortcut from the (normalized) input: where the embedding already
        # points along the angle, the head need not rebuild a linear map through the MLP.
        self.shortcut = nn.Linear(in_dim, 5 if incidence else 3)

    def forward(self, embedding: torch.Tensor) -> dict[str, torch.Tensor]:
        normalized = self.body[0](embedding)
        raw = self.out(self.body[1:](normalized)) + self.shortcut(normalized)
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


class PolarizationFilterBank(nn.Module):
    """Learned multi-band, time-weighted covariance features (a trainable polarization analysis).

    One bank of ``n_filters`` FIR filters is applied to Z, N and E alike (the
    same filter on each component keeps the particle-motion geometry, and a
    rotation of N/E rotates the features accordingly); for each band a learned
    weighting over the window's samples replaces the fixed analysis window. The
    unfiltered input is kept as one more band.

    Output: 6 scale-free covariance entries per band, shape (batch, 6 (n_filters + 1)).
    """

    def __init__(self, n_samples: int, n_filters: int = 8, filter_length: int = 31) -> None:
        super().__init__()
        self.filters = nn.Conv1d(
            1, n_filters, filter_length, padding=filter_length // 2, bias=False
        )
        self.time_logits = nn.Parameter(torch.zeros(n_filters + 1, n_samples))
        self.n_features = 6 * (n_filters + 1)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        batch, components, n = windows.shape
        filtered = self.filters(windows.reshape(batch * components, 1, n))
        bands = torch.cat([windows.reshape(batch * components, 1, n), filtered], dim=1)
        bands = bands.reshape(batch, components, -1, n).transpose(1, 2)  # (B, bands, 3, n)
        weights = torch.softmax(self.time_logits, dim=-1)  # (bands, n)
        cov = torch.einsum("bfct,bfdt,ft->bfcd", bands, bands, weights)
        trace = cov.diagonal(dim1=2, dim2=3).sum(-1, keepdim=True).clamp_min(1e-12)
        rows, cols = torch.triu_indices(3, 3)
        return (cov[:, :, rows, cols] / trace).reshape(batch, -1)


class MultibandCovariance(nn.Module):
    """Covariance features in fixed frequency bands and time windows after P, plus band SNRs.

    Every band is a zero-phase FIR bandpass applied alike to Z, N and E (so a
    rotation of N/E still rotates the features), and for each band and each
    window starting just before P the 6 scale-free covariance entries are
    computed. One more feature per band, ``log10`` of the energy after P over the
    energy before P, tells the head which bands to trust.

    Parameters
    ----------
    sampling_rate : float, Hz
    bands_hz : list of (low, high), Hz
    window_samples : list of int, lengths of the windows after their start
    start : int, first sample of the windows (just before P)
    numtaps : int, FIR length, samples (odd)
    """

    def __init__(
        self,
        sampling_rate: float,
        bands_hz: list[list[float]] | list[tuple[float, float]],
        window_samples: list[int],
        start: int,
        numtaps: int = 51,
    ) -> None:
        super().__init__()
        from scipy.signal import firwin

        nyquist = sampling_rate / 2
        taps = [
            firwin(numtaps, [lo, min(hi, 0.95 * nyquist)], pass_zero=False, fs=sampling_rate)
            for lo, hi in bands_hz
        ]
        self.register_buffer("taps", torch.tensor(np.stack(taps)[:, None, :], dtype=torch.float32))
        self.window_samples = [int(w) for w in window_samples]
        self.start = int(start)
        self.n_features = len(taps) * (6 * len(self.window_samples) + 1)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        batch, components, n = windows.shape
        pad = self.taps.shape[-1] // 2
        bands = torch.nn.functional.conv1d(
            windows.reshape(batch * components, 1, n), self.taps, padding=pad
        )
        bands = bands.reshape(batch, components, -1, n).transpose(1, 2)  # (B, bands, 3, n)
        features = []
        for length in self.window_samples:
            segment = bands[..., self.start : self.start + length]
            cov = torch.einsum("bfct,bfdt->bfcd", segment, segment) / segment.shape[-1]
            trace = cov.diagonal(dim1=2, dim2=3).sum(-1, keepdim=True).clamp_min(1e-12)
            rows, cols = torch.triu_indices(3, 3)
            features.append((cov[:, :, rows, cols] / trace).reshape(batch, -1))
        after = bands[..., self.start : self.start + max(self.window_samples)].pow(2).mean((-1, -2))
        before = bands[..., pad : max(pad + 1, self.start)].pow(2).mean((-1, -2))
        features.append(torch.log10((after + 1e-12) / (before + 1e-12)))
        return torch.cat(features, dim=-1)


class AzimuthNet(nn.Module):
    """VAE encoder plus angle head: the whole predictor, saved and loaded as one model.

    Parameters
    ----------
    vae_args : dict, arguments of :class:`seislearn.azimuth.vae.ConvVAE`
    head_args : dict, arguments of :class:`AngleHead` except ``in_dim``
    covariance_window : (int, int), optional, samples
        When given, covariance features of ``window[:, :, start:stop]`` (the first
        motion after P) are appended to the embedding as head inputs.
    covariance_filters : int
        0: the 6 covariance entries of that window; > 0: a
        :class:`PolarizationFilterBank` with this many learned bands over it.
    multiband : dict, optional
        Arguments of :class:`MultibandCovariance` (fixed bands and windows); used
        instead of the two above when given.
    polarity_window : (int, int), optional, samples
        When given, the encoder sees each window multiplied by the sign of the
        vertical's largest sample in ``window[0, start:stop]`` (the first motion:
        the workflow starts it with the polarization window, just before P). A
        source of opposite polarity then gives the same input, so the embedding
        need not learn that ``x`` and ``-x`` arrive from the same direction.
    test_time_rotations : int
        :meth:`predict` rotates the horizontals by this many angles evenly spread
        over the circle, predicts each and averages the back-azimuths rotated back
        (1: the window as recorded only). Back-azimuth turns with the sensor's
        horizontals, so what the net gets wrong at one orientation and not at
        another averages out.
    """

    def __init__(
        self,
        vae_args: dict,
        head_args: dict | None = None,
        covariance_window: tuple[int, int] | list[int] | None = None,
        covariance_filters: int = 0,
        multiband: dict | None = None,
        polarity_window: tuple[int, int] | list[int] | None = None,
        test_time_rotations: int = 1,
    ) -> None:
        super().__init__()
        from seislearn.azimuth.vae import ConvVAE

        self.test_time_rotations = max(1, int(test_time_rotations))

        self.polarity_window = None if polarity_window is None else tuple(polarity_window)
        self.vae = ConvVAE(**vae_args)
        self.covariance_window = None if covariance_window is None else tuple(covariance_window)
        self.filter_bank: PolarizationFilterBank | MultibandCovariance | None = None
        n_extra = 0
        if self.covariance_window and multiband:
            self.filter_bank = MultibandCovariance(**multiband)
            n_extra = self.filter_bank.n_features
        elif self.covariance_window and covariance_filters > 0:
            start, stop = self.covariance_window
            self.filter_bank = PolarizationFilterBank(stop - start, covariance_filters)
            n_extra = self.filter_bank.n_features
        elif self.covariance_window:
            n_extra = 6
        self.head = AngleHead(self.vae.latent_dim + n_extra, **(head_args or {}))

    def orient_polarity(self, x: torch.Tensor) -> torch.Tensor:
        """Windows with the sign that makes the vertical's largest early sample positive."""
        if self.polarity_window is None:
            return x
        start, stop = self.polarity_window
        z = x[:, 0, start:stop]
        peak = z.gather(1, z.abs().argmax(dim=1, keepdim=True))[:, 0]
        sign = torch.where(peak < 0, -1.0, 1.0).to(x.dtype)
        return x * sign[:, None, None]

    def embed(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Latent mean and log-variance of windows ``x``."""
        return self.vae.encode(self.orient_polarity(x))

    def head_input(self, mean: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Embedding, with the covariance features of ``x`` appended when the model uses them."""
        if self.covariance_window:
            start, stop = self.covariance_window
            if isinstance(self.filter_bank, MultibandCovariance):
                features = self.filter_bank(x)  # it needs the noise before P too
            elif self.filter_bank is not None:
                features = self.filter_bank(x[:, :, start:stop])
            else:
                features = covariance_features(x[:, :, start:stop])
            return torch.cat([mean, features], dim=-1)
        return mean

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        mean, _ = self.embed(x)
        out = self.head(self.head_input(mean, x))
        out["embedding"] = mean
        return out

    def predict(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """:meth:`forward`, averaged over :attr:`test_time_rotations` orientations.

        For each angle ``theta`` the horizontals become ``N' = N cos + E sin`` and
        ``E' = -N sin + E cos`` (a sensor turned clockwise by ``theta``), whose
        back-azimuth is the true one minus ``theta``; the predictions, turned back
        by ``theta``, are averaged as unit vectors (the mean direction), the
        concentrations and incidences averaged too. The embedding is the one of
        the window as recorded.
        """
        out = self(x)
        n = self.test_time_rotations
        if n <= 1:
            return out
        baz_sum = torch.zeros_like(out["back_azimuth"])
        inc_sum = torch.zeros_like(out["incidence"]) if "incidence" in out else None
        kappa_sum = torch.zeros_like(out["kappa"])
        for k in range(n):
            theta = 2.0 * np.pi * k / n
            c, s = float(np.cos(theta)), float(np.sin(theta))
            if k == 0:
                o = out
            else:
                turned = x.clone()
                turned[:, 1] = c * x[:, 1] + s * x[:, 2]
                turned[:, 2] = -s * x[:, 1] + c * x[:, 2]
                o = self(turned)
            u = o["back_azimuth"] / o["back_azimuth"].norm(dim=-1, keepdim=True).clamp_min(1e-6)
            # Turn back by +theta: (cos(phi' + theta), sin(phi' + theta)).
            baz_sum += torch.stack([u[:, 0] * c - u[:, 1] * s, u[:, 1] * c + u[:, 0] * s], -1)
            kappa_sum += o["kappa"]
            if inc_sum is not None:
                v = o["incidence"]
                inc_sum += v / v.norm(dim=-1, keepdim=True).clamp_min(1e-6)
        result = dict(out)
        result["back_azimuth"] = baz_sum / n
        result["kappa"] = kappa_sum / n
        if inc_sum is not None:
            result["incidence"] = inc_sum / n
        return result
