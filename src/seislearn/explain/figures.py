"""Figures of attributions: one event over its spectrogram, class mean maps, profiles."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from seislearn.report.plots import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COMPONENTS = "ZNE"


def rgb_composite(spectrogram: np.ndarray) -> np.ndarray:
    """``(3, F, T)`` log-spectrogram as an RGB image ``(F, T, 3)`` (one min-max over all components)."""
    lo, hi = float(spectrogram.min()), float(spectrogram.max())
    scaled = (spectrogram - lo) / (hi - lo) if hi > lo else np.zeros_like(spectrogram)
    return np.moveaxis(scaled[:3], 0, -1)


def _extent(freqs: list[float] | None, times: list[float] | None, shape: tuple[int, int]) -> list:
    t = times if times else list(range(shape[1]))
    f = freqs if freqs else list(range(shape[0]))
    return [t[0], t[-1], f[0], f[-1]]


def event_map(
    spectrogram: np.ndarray,
    attribution: np.ndarray,
    freqs: list[float] | None,
    times: list[float] | None,
    title: str,
) -> Figure:
    """The summed attribution drawn over the RGB composite, then one panel per component."""
    total = attribution.sum(axis=0)
    vmax = float(np.abs(attribution).max()) or 1.0
    extent = _extent(freqs, times, total.shape)
    n = attribution.shape[0]
    fig, axes = new_figure(1, n + 1, figsize=(3.3 * (n + 1), 3.0), sharey=True)
    axes[0].imshow(rgb_composite(spectrogram), origin="lower", aspect="auto", extent=extent)
    tv = float(np.abs(total).max()) or 1.0
    axes[0].imshow(
        total,
        origin="lower",
        aspect="auto",
        extent=extent,
        cmap="bwr",
        vmin=-tv,
        vmax=tv,
        alpha=0.55,
    )
    axes[0].set_title("RGB = ZNE, overlay: sum")
    for c in range(n):
        mesh = axes[c + 1].imshow(
            attribution[c],
            origin="lower",
            aspect="auto",
            extent=extent,
            cmap="bwr",
            vmin=-vmax,
            vmax=vmax,
        )
        axes[c + 1].set_title(f"{COMPONENTS[c] if c < 3 else c} attribution")
    for ax in axes:
        ax.set_xlabel("time since pick (s)" if times else "pixel")
    axes[0].set_ylabel("frequency (Hz)" if freqs else "pixel")
    fig.colorbar(mesh, ax=list(axes), label="SHAP value (toward the class)")
    fig.suptitle(title, y=1.06)
    return fig


def event_trace(
    waveform: np.ndarray, attribution: np.ndarray, times: list[float] | None, title: str
) -> Figure:
    """A raw 3-component window with its attribution per sample (1D CNN)."""
    n = waveform.shape[0]
    fig, axes = new_figure(n, 1, figsize=(9, 1.5 * n + 0.6), sharex=True)
    t = np.asarray(times) if times else np.arange(waveform.shape[-1])
    vmax = float(np.abs(attribution).max()) or 1.0
    for c, ax in enumerate(np.atleast_1d(axes)):
        ax.plot(t, waveform[c] / (np.abs(waveform[c]).max() or 1.0), color="k", lw=0.5)
        ax.fill_between(t, 0, attribution[c] / vmax, color="C3", alpha=0.6, lw=0)
        ax.set_ylabel(f"{COMPONENTS[c] if c < 3 else c} (peak = 1)")
    np.atleast_1d(axes)[-1].set_xlabel("time since pick (s)")
    fig.suptitle(title + " (black: waveform; red: attribution)")
    return fig


def mean_maps(
    maps: dict[str, np.ndarray], freqs: list[float] | None, times: list[float] | None
) -> Figure:
    """Mean attribution per class (rows) and component (columns) on a white background."""
    names = list(maps)
    n_comp = next(iter(maps.values())).shape[0]
    # Constrained layout keeps each row's titles clear of the tick labels above and
    # makes room for the shared colour bar.
    fig, axes = new_figure(
        len(names),
        n_comp,
        figsize=(3.2 * n_comp + 1.0, 2.8 * len(names) + 0.3),
        squeeze=False,
        layout="constrained",
    )
    vmax = max(float(np.abs(m).max()) for m in maps.values()) or 1.0
    for r, name in enumerate(names):
        m = maps[name]
        for c in range(n_comp):
            ax = axes[r][c]
            if m.ndim == 3:
                image = ax.imshow(
                    m[c],
                    origin="lower",
                    aspect="auto",
                    cmap="bwr",
                    vmin=-vmax,
                    vmax=vmax,
                    extent=_extent(freqs, times, m[c].shape),
                )
            else:
                t = times if times else list(range(m.shape[-1]))
                ax.plot(t, m[c], color="C3")
                ax.axhline(0, color="k", lw=0.5)
            ax.set_title(f"{name}: {COMPONENTS[c] if c < 3 else c}", fontsize=9)
            if r == len(names) - 1:
                ax.set_xlabel("time since pick (s)" if times else "pixel")
            if c == 0 and m.ndim == 3:
                ax.set_ylabel("frequency (Hz)" if freqs else "pixel")
    if next(iter(maps.values())).ndim == 3:
        fig.colorbar(image, ax=axes.ravel().tolist(), label="mean SHAP value")
    return fig


def profiles(
    profile: dict[str, np.ndarray], axis_values: list[float] | None, xlabel: str
) -> Figure:
    """Importance profiles per class (panels) and component (lines)."""
    names = list(profile)
    fig, axes = new_figure(1, len(names), figsize=(4 * len(names), 3), squeeze=False)
    for k, name in enumerate(names):
        ax = axes[0][k]
        x = axis_values if axis_values else list(range(profile[name].shape[-1]))
        for c, line in enumerate(profile[name]):
            ax.plot(x, line, label=COMPONENTS[c] if c < 3 else str(c))
        ax.axhline(0, color="k", lw=0.5)
        ax.set_title(name)
        ax.set_xlabel(xlabel)
    axes[0][0].set_ylabel("mean attribution")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    return fig
