"""Matplotlib figures shared by the workflows (Agg backend, no screen needed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def new_figure(*args: object, **kwargs: object) -> tuple[Figure, object]:
    """``plt.subplots`` on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kwargs)  # type: ignore[arg-type]


def plot_waveform(
    waveform: np.ndarray,
    sampling_rate: float,
    components: str = "ZNE",
    picks: dict[str, float] | None = None,
    title: str = "",
    unit: str = "counts",
) -> Figure:
    """Three stacked component traces with optional pick lines.

    Parameters
    ----------
    waveform : array (C, N), ground motion in ``unit``
    sampling_rate : float, Hz
    components : str, one letter per row
    picks : dict, optional, phase name -> arrival in samples (P blue, others red)
    title : str
    unit : str, the amplitude unit shown on each axis (``counts`` for raw records)
    """
    fig, axes = new_figure(
        len(components), 1, sharex=True, figsize=(9, 1.4 * len(components) + 0.6)
    )
    axes = np.atleast_1d(axes)
    t = np.arange(waveform.shape[-1]) / sampling_rate
    for ax, comp, trace in zip(axes, components, waveform, strict=False):
        ax.plot(t, trace, lw=0.6, color="k")
        ax.set_ylabel(f"{comp} ({unit})")
        for phase, sample in (picks or {}).items():
            if sample is not None and np.isfinite(sample):
                ax.axvline(sample / sampling_rate, color="C0" if phase == "P" else "C3", lw=1)
    axes[0].set_title(title)
    axes[-1].set_xlabel("time since trace start (s)")
    fig.tight_layout()
    return fig


def plot_spectrogram(
    spec: np.ndarray, freqs: np.ndarray, times: np.ndarray, components: str = "ZNE", title: str = ""
) -> Figure:
    """Log-power spectrograms ``(C, F, T)``, one panel per component."""
    fig, axes = new_figure(1, spec.shape[0], figsize=(3.2 * spec.shape[0], 2.8), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, comp, s in zip(axes, components, spec, strict=False):
        mesh = ax.pcolormesh(times, freqs, s, shading="auto", cmap="magma")
        ax.set_title(f"{comp} {title}".strip())
        ax.set_xlabel("time (s)")
    axes[0].set_ylabel("frequency (Hz)")
    fig.colorbar(mesh, ax=list(axes), label="log10 PSD")
    return fig
