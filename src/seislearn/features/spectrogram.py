"""Batched STFT spectrograms in torch (the same code on CPU and GPU).

:func:`spectrogram` matches :func:`scipy.signal.spectrogram` (``mode="psd"``,
``scaling="density"``, ``detrend="constant"``, one-sided) for the same window,
``nperseg``, ``noverlap`` and ``nfft``, but works on a whole batch
``(B, C, N)`` at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class SpectrogramConfig:
    """STFT settings.

    Parameters
    ----------
    nperseg : int, samples per segment
    noverlap : int, samples shared by neighbouring segments (default ``nperseg // 2``)
    nfft : int, FFT length (default ``nperseg``)
    window : str or tuple, a :func:`scipy.signal.get_window` specification
        (``"hann"``, ``("kaiser", 5.65)``, ``("tukey", 0.25)``, ...)
    detrend : bool, remove each segment's mean (scipy's ``detrend="constant"``)
    log : bool, return ``log10(psd + eps)`` instead of the linear power spectral density
    eps : float, floor added before the logarithm
    fmin, fmax : float, optional, Hz, keep only frequencies in ``[fmin, fmax]``
    """

    nperseg: int = 64
    noverlap: int | None = None
    nfft: int | None = None
    window: Any = "hann"
    detrend: bool = True
    log: bool = True
    eps: float = 1e-10
    fmin: float | None = None
    fmax: float | None = None

    @property
    def hop(self) -> int:
        """Samples between segment starts."""
        noverlap = self.nperseg // 2 if self.noverlap is None else self.noverlap
        if not 0 <= noverlap < self.nperseg:
            raise ValueError(f"noverlap must be in [0, nperseg); got {noverlap}")
        return self.nperseg - noverlap

    @property
    def n_fft(self) -> int:
        """FFT length."""
        return self.nfft or self.nperseg

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict of the settings."""
        return asdict(self)


#: The STFT presets of the spectrogram-CNN design: nperseg 64 with 50 % overlap,
#: nperseg 32 with 80 % overlap.
PRESETS: dict[str, SpectrogramConfig] = {
    "spectra64": SpectrogramConfig(nperseg=64, noverlap=32),
    "spectra32": SpectrogramConfig(nperseg=32, noverlap=round(0.8 * 32)),
}


def get_preset(name: str) -> SpectrogramConfig:
    """Look up a preset by name (``spectra64``, ``spectra32``)."""
    try:
        return PRESETS[name.lower()]
    except KeyError:
        raise ValueError(
            f"unknown spectrogram preset {name!r}; choose from {sorted(PRESETS)}"
        ) from None


def frequencies(config: SpectrogramConfig, sampling_rate: float) -> np.ndarray:
    """Frequencies (Hz) of the rows returned by :func:`spectrogram` (after the crop)."""
    f = np.fft.rfftfreq(config.n_fft, 1.0 / sampling_rate)
    return f[_freq_mask(config, f)]


def times(config: SpectrogramConfig, npts: int, sampling_rate: float) -> np.ndarray:
    """Centre times (s) of the segments, as :func:`scipy.signal.spectrogram` returns them."""
    n_seg = 1 + (npts - config.nperseg) // config.hop
    return (np.arange(n_seg) * config.hop + config.nperseg / 2) / sampling_rate


def _freq_mask(config: SpectrogramConfig, f: np.ndarray) -> np.ndarray:
    mask = np.ones_like(f, dtype=bool)
    if config.fmin is not None:
        mask &= f >= config.fmin
    if config.fmax is not None:
        mask &= f <= config.fmax
    return mask


def spectrogram(
    x: np.ndarray | torch.Tensor,
    sampling_rate: float,
    config: SpectrogramConfig | str = "spectra64",
    device: str | None = None,
) -> torch.Tensor:
    """Power spectral density spectrograms of a batch of waveforms.

    Parameters
    ----------
    x : array or tensor, shape (..., N)
        Waveforms, e.g. ``(B, C, N)``.
    sampling_rate : float, Hz
    config : SpectrogramConfig or str
        Settings or a preset name.
    device : str, optional
        Torch device for the computation (default: that of ``x``, or CPU).

    Returns
    -------
    torch.Tensor, float32, shape (..., F, T)
        PSD in units^2/Hz (or its log10 when ``config.log``).
    """
    import torch
    from scipy.signal import get_window

    cfg = get_preset(config) if isinstance(config, str) else config
    t = torch.as_tensor(x, dtype=torch.float32, device=device)
    if t.shape[-1] < cfg.nperseg:
        raise ValueError(f"signal of {t.shape[-1]} samples is shorter than nperseg={cfg.nperseg}")
    window = torch.as_tensor(
        get_window(cfg.window, cfg.nperseg), dtype=torch.float32, device=t.device
    )
    frames = t.unfold(-1, cfg.nperseg, cfg.hop)  # (..., T, nperseg)
    if cfg.detrend:
        frames = frames - frames.mean(dim=-1, keepdim=True)
    spec = torch.fft.rfft(frames * window, n=cfg.n_fft, dim=-1)
    psd = spec.real**2 + spec.imag**2
    psd = psd / (sampling_rate * (window**2).sum())
    # One-sided: double every bin but DC (and Nyquist for even nfft).
    if cfg.n_fft % 2 == 0:
        psd[..., 1:-1] *= 2
    else:
        psd[..., 1:] *= 2
    psd = psd.transpose(-1, -2)  # (..., F, T)
    f = np.fft.rfftfreq(cfg.n_fft, 1.0 / sampling_rate)
    mask = _freq_mask(cfg, f)
    if not mask.all():
        psd = psd[..., torch.as_tensor(np.flatnonzero(mask), device=t.device), :]
    if cfg.log:
        psd = torch.log10(psd + cfg.eps)
    return psd


Scale = Literal["none", "maxabs"]


def scale_per_sample(spec: torch.Tensor) -> torch.Tensor:
    """Divide each sample ``(C, F, T)`` of a batch by its maximum absolute value."""
    import torch

    peak = spec.abs().flatten(1).amax(dim=1).clamp_min(torch.finfo(spec.dtype).tiny)
    return spec / peak.view(-1, *([1] * (spec.dim() - 1)))
