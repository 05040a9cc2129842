"""Figures of the azimuth workflow (matplotlib, Agg backend)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from seislearn.evaluation.circular import SNR_BINS_DB, angle_error_deg, snr_bin_labels
from seislearn.report.plots import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def latent_2d(embeddings: np.ndarray) -> tuple[np.ndarray, str]:
    """The embedding itself when 2D, otherwise its first two principal components."""
    if embeddings.shape[1] == 2:
        return embeddings, "latent"
    from sklearn.decomposition import PCA

    return PCA(n_components=2, random_state=0).fit_transform(embeddings), "PCA of latent"


def plot_latent_space(embeddings: np.ndarray, back_azimuth_deg: np.ndarray, title: str) -> Figure:
    """Latent means coloured by back-azimuth with the cyclic 'twilight' colour map."""
    points, label = latent_2d(embeddings)
    fig, ax = new_figure(figsize=(5.6, 4.8))
    sc = ax.scatter(
        points[:, 0],
        points[:, 1],
        c=back_azimuth_deg % 360,
        cmap="twilight",
        vmin=0,
        vmax=360,
        s=8,
        lw=0,
    )
    fig.colorbar(sc, ax=ax, label="back-azimuth (deg)", ticks=[0, 90, 180, 270, 360])
    ax.set_xlabel(f"{label} 1")
    ax.set_ylabel(f"{label} 2")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_predicted_vs_true(
    true_deg: np.ndarray, model_deg: np.ndarray, baseline_deg: np.ndarray
) -> Figure:
    """Predicted against true back-azimuth on [0, 360) (the wrap shows as the corners)."""
    fig, axes = new_figure(1, 2, figsize=(10, 4.6), sharey=True)
    for ax, predicted, name in zip(
        axes, (model_deg, baseline_deg), ("model", "polarization"), strict=False
    ):
        err = np.abs(angle_error_deg(predicted, true_deg))
        points = ax.scatter(
            true_deg % 360,
            predicted % 360,
            c=np.minimum(err, 45),
            cmap="viridis",
            vmin=0,
            vmax=45,
            s=8,
        )
        ax.plot([0, 360], [0, 360], color="k", lw=0.8)
        ax.set_xlim(0, 360)
        ax.set_ylim(0, 360)
        ax.set_xticks(range(0, 361, 90))
        ax.set_yticks(range(0, 361, 90))
        ax.set_xlabel("true back-azimuth (deg)")
        ax.set_title(f"{name}: circular MAE {err.mean():.2f} deg")
    axes[0].set_ylabel("predicted back-azimuth (deg)")
    fig.tight_layout()
    fig.colorbar(points, ax=list(axes), label="absolute error (deg, capped at 45)")
    return fig


def plot_error_vs_snr(
    snr_db: np.ndarray,
    model_error_deg: np.ndarray,
    baseline_error_deg: np.ndarray,
    snr_estimated: bool = False,
) -> Figure:
    """Absolute circular error against SNR, points and per-bin MAE, model and baseline."""
    fig, ax = new_figure(figsize=(7, 4.4))
    model_abs, base_abs = np.abs(model_error_deg), np.abs(baseline_error_deg)
    ax.scatter(snr_db, base_abs, s=6, color="C1", alpha=0.35, label="polarization (traces)")
    ax.scatter(snr_db, model_abs, s=6, color="C0", alpha=0.35, label="model (traces)")
    labels = snr_bin_labels(snr_db, SNR_BINS_DB)
    order = [b for b in dict.fromkeys(snr_bin_labels(np.sort(snr_db), SNR_BINS_DB))]
    centres = [float(np.median(snr_db[labels == b])) for b in order]
    ax.plot(
        centres,
        [model_abs[labels == b].mean() for b in order],
        "o-",
        color="C0",
        lw=2,
        label="model MAE per bin",
    )
    ax.plot(
        centres,
        [base_abs[labels == b].mean() for b in order],
        "s-",
        color="C1",
        lw=2,
        label="polarization MAE per bin",
    )
    ax.set_yscale("log")
    ax.set_xlabel("SNR (dB" + (", estimated from the window)" if snr_estimated else ")"))
    ax.set_ylabel("absolute back-azimuth error (deg)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _cyclic_colorscale() -> list[list]:
    """plotly's cyclic 'Twilight' scale (the same colour at 0 and 360 deg)."""
    from plotly.colors import cyclical

    colours = cyclical.Twilight
    return [[i / (len(colours) - 1), c] for i, c in enumerate(colours)]


def latent_space_interactive(
    embeddings: np.ndarray, back_azimuth_deg: np.ndarray, title: str
) -> dict:
    """The latent space as a plotly figure: hover shows each trace's true back-azimuth."""
    from seislearn.report.interactive import scatter_figure

    points, label = latent_2d(embeddings)
    baz = np.asarray(back_azimuth_deg, float) % 360
    return scatter_figure(
        points[:, 0],
        points[:, 1],
        title=title,
        x_label=f"{label} 1",
        y_label=f"{label} 2",
        color=baz,
        color_label="back-azimuth (deg)",
        colorscale=_cyclic_colorscale(),
        color_range=(0.0, 360.0),
        hover=[f"test trace {i}: back-azimuth {b:.1f} deg" for i, b in enumerate(baz)],
    )


def predicted_vs_true_interactive(
    true_deg: np.ndarray, model_deg: np.ndarray, baseline_deg: np.ndarray
) -> dict:
    """Predicted against true back-azimuth, model and polarization as two legend entries."""
    from seislearn.report.interactive import scatter_figure

    true = np.asarray(true_deg, float) % 360
    names, predicted, hover = [], [], []
    for name, values in (("model", model_deg), ("polarization", baseline_deg)):
        err = np.abs(angle_error_deg(values, true_deg))
        names += [f"{name} (MAE {err.mean():.2f} deg)"] * len(true)
        predicted.append(np.asarray(values, float) % 360)
        hover += [f"{name}: error {e:.1f} deg" for e in err]
    return scatter_figure(
        np.concatenate([true, true]),
        np.concatenate(predicted),
        title="predicted vs true back-azimuth (click a legend entry to hide it)",
        x_label="true back-azimuth (deg)",
        y_label="predicted back-azimuth (deg)",
        groups=names,
        hover=hover,
        diagonal=(0.0, 360.0),
    )
