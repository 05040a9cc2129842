"""Covariance polarization analysis (Flinn 1965; Jurkevics 1988), vectorized over a batch.

The classic single-station estimate of the P arrival direction:

1. the 3x3 covariance matrix of (Z, N, E) over a short window after the P pick;
2. its principal eigenvector is the P particle-motion direction (up to sign);
3. the sign is fixed by P first motion: a P wave moves *up and away from the
   source* or *down and towards it*, so Z and the radial component pointing
   away from the source are always positively correlated. Hence the horizontal
   direction "away from the source" is ``sign(C_ZN, C_ZE)`` projected on the
   eigenvector's horizontal part, and the back-azimuth points the opposite way;
4. rectilinearity ``1 - (l2 + l3) / (2 l1)`` measures how linear the motion is
   (1 for a pure P wave, near 0 for isotropic noise);
5. the apparent incidence is the angle of the eigenvector from vertical.

This is written from the equations rather than using ObsPy's ``flinn``, whose
azimuth folds into [0, 180) and so cannot resolve the ambiguity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seislearn.errors import DataError


@dataclass
class PolarizationResult:
    """Per-trace results of :func:`polarization_analysis` (arrays of shape ``(n,)``).

    Attributes
    ----------
    back_azimuth_deg : degrees clockwise from north, station to source, [0, 360)
    incidence_deg : apparent incidence, degrees from vertical, [0, 90]
    rectilinearity : 0 (isotropic) to 1 (linear)
    planarity : 0 to 1
    eigenvalues : shape ``(n, 3)``, descending
    """

    back_azimuth_deg: np.ndarray
    incidence_deg: np.ndarray
    rectilinearity: np.ndarray
    planarity: np.ndarray
    eigenvalues: np.ndarray


def covariance_zne(windows: np.ndarray) -> np.ndarray:
    """Zero-mean 3x3 covariance of each window.

    Parameters
    ----------
    windows : ndarray, shape (n, 3, L), components Z, N, E

    Returns
    -------
    ndarray, shape (n, 3, 3)
    """
    x = np.asarray(windows, dtype=np.float64)
    if x.ndim != 3 or x.shape[1] != 3:
        raise DataError(f"polarization needs windows of shape (n, 3, L); got {x.shape}")
    x = x - x.mean(axis=-1, keepdims=True)
    return np.einsum("nci,ndi->ncd", x, x) / max(x.shape[-1], 1)


def polarization_analysis(windows: np.ndarray) -> PolarizationResult:
    """Back-azimuth, incidence and rectilinearity of the P motion in each window.

    Parameters
    ----------
    windows : ndarray, shape (n, 3, L), components Z, N, E
        Only the part of the trace to analyse (e.g. P to 1 s after P),
        already bandpassed.
    """
    cov = covariance_zne(windows)
    eigenvalues, eigenvectors = np.linalg.eigh(cov)  # ascending
    eigenvalues = np.clip(eigenvalues[:, ::-1], 0.0, None)
    principal = eigenvectors[:, :, -1]  # (n, 3): z, n, e
    vz, vn, ve = principal[:, 0], principal[:, 1], principal[:, 2]
    # Covariance of Z with each horizontal: positive along "away from the source".
    away_n, away_e = cov[:, 0, 1], cov[:, 0, 2]
    # Orient the eigenvector's horizontal part along the away direction.
    sign = np.sign(vn * away_n + ve * away_e)
    sign = np.where(sign == 0, np.sign(vz) + (vz == 0), sign)
    back_azimuth = np.degrees(np.arctan2(-sign * ve, -sign * vn)) % 360.0
    incidence = np.degrees(np.arccos(np.clip(np.abs(vz), 0.0, 1.0)))
    l1 = np.where(eigenvalues[:, 0] > 0, eigenvalues[:, 0], 1.0)
    rectilinearity = 1.0 - (eigenvalues[:, 1] + eigenvalues[:, 2]) / (2.0 * l1)
    planarity = 1.0 - 2.0 * eigenvalues[:, 2] / (eigenvalues[:, 0] + eigenvalues[:, 1] + 1e-300)
    return PolarizationResult(
        back_azimuth_deg=back_azimuth,
        incidence_deg=incidence,
        rectilinearity=np.clip(rectilinearity, 0.0, 1.0),
        planarity=np.clip(planarity, 0.0, 1.0),
        eigenvalues=eigenvalues,
    )


def polarization_features(windows: np.ndarray) -> np.ndarray:
    """Scale-free covariance features: the 6 unique entries divided by the trace, shape (n, 6).

    Used as optional extra inputs of the angle head (the VAE embedding stays the core).
    """
    cov = covariance_zne(windows)
    trace = np.trace(cov, axis1=1, axis2=2)[:, None]
    iu = np.triu_indices(3)
    return (cov[:, iu[0], iu[1]] / np.where(trace > 0, trace, 1.0)).astype(np.float32)


#: Fewest labelled traces a station correction is fitted from.
MIN_TRACES_FOR_CORRECTION = 20


def _correction_design(estimated_deg: np.ndarray, harmonics: int) -> np.ndarray:
    b = np.radians(np.asarray(estimated_deg, dtype=float))
    columns = [np.ones_like(b)]
    for k in range(1, harmonics + 1):
        columns += [np.cos(k * b), np.sin(k * b)]
    return np.column_stack(columns)


def fit_station_correction(
    estimated_deg: np.ndarray, true_deg: np.ndarray, harmonics: int = 2
) -> np.ndarray | None:
    """Fit one station's polarization bias as a function of the estimated back-azimuth.

    The residual ``wrap(true - estimated)`` is modelled by least squares as
    ``c0 + sum_k a_k cos(k est) + b_k sin(k est)``, k = 1..``harmonics``: ``c0``
    absorbs a sensor misorientation, the 360-degree term a dipping interface, the
    180-degree term anisotropy. Fit it on training traces only.

    Parameters
    ----------
    estimated_deg, true_deg : array, degrees
        Polarization back-azimuths and the true ones of the same traces (NaNs ignored).
    harmonics : int
        Number of periodic terms.

    Returns
    -------
    numpy.ndarray or None
        Coefficients ``[c0, a1, b1, a2, b2, ...]`` in degrees; ``None`` when fewer
        than :data:`MIN_TRACES_FOR_CORRECTION` traces are labelled.
    """
    from seislearn.evaluation.circular import wrap_deg

    est, true = np.asarray(estimated_deg, dtype=float), np.asarray(true_deg, dtype=float)
    ok = np.isfinite(est) & np.isfinite(true)
    if ok.sum() < max(MIN_TRACES_FOR_CORRECTION, 2 * harmonics + 1):
        return None
    design = _correction_design(est[ok], harmonics)
    coef, *_ = np.linalg.lstsq(design, wrap_deg(true[ok] - est[ok]), rcond=None)
    return coef


def apply_station_correction(estimated_deg: np.ndarray, coefficients_deg: np.ndarray) -> np.ndarray:
    """Corrected back-azimuths, degrees in [0, 360), from :func:`fit_station_correction`'s fit."""
    coef = np.asarray(coefficients_deg, dtype=float)
    design = _correction_design(estimated_deg, (len(coef) - 1) // 2)
    return np.mod(np.asarray(estimated_deg, dtype=float) + design @ coef, 360.0)
