"""The covariance polarization baseline recovers the P direction and resolves the 180-degree ambiguity."""

from __future__ import annotations

import numpy as np
import pytest

from seislearn.errors import DataError
from seislearn.evaluation.circular import angle_error_deg
from seislearn.evaluation.polarization import polarization_analysis


def _p_windows(baz_deg, incidence_deg, polarity, noise=0.0, seed=0):
    """Pure P particle motion as in seislearn.data.synthetic: up and away from the source."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, 100)
    pulse = np.sin(2 * np.pi * 3 * t) * np.exp(-3 * t)
    b, i = np.radians(baz_deg), np.radians(incidence_deg)
    direction = np.stack([np.cos(i), -np.sin(i) * np.cos(b), -np.sin(i) * np.sin(b)], axis=1)
    x = np.asarray(polarity)[:, None, None] * direction[:, :, None] * pulse
    return x + noise * rng.standard_normal(x.shape)


@pytest.mark.parametrize("polarity", [1.0, -1.0])
def test_back_azimuth_recovered_in_every_quadrant_for_both_polarities(polarity):
    baz = np.array([1.0, 45.0, 135.0, 225.0, 315.0, 359.0])
    result = polarization_analysis(_p_windows(baz, np.full(6, 30.0), np.full(6, polarity)))
    assert np.abs(angle_error_deg(result.back_azimuth_deg, baz)).max() < 1e-6


def test_incidence_is_angle_from_vertical():
    inc = np.array([10.0, 40.0, 70.0])
    result = polarization_analysis(_p_windows(np.full(3, 80.0), inc, np.ones(3)))
    np.testing.assert_allclose(result.incidence_deg, inc, atol=1e-6)


def test_rectilinearity_separates_linear_motion_from_noise():
    linear = polarization_analysis(_p_windows(np.array([30.0]), np.array([30.0]), np.ones(1)))
    noise = polarization_analysis(np.random.default_rng(1).standard_normal((1, 3, 2000)))
    assert linear.rectilinearity[0] == pytest.approx(1.0, abs=1e-9)
    assert noise.rectilinearity[0] < 0.2


def test_baseline_beats_chance_on_synthetic_events(synthetic_small):
    from seislearn.azimuth.data import prepare

    data = prepare(synthetic_small, 0.5, 2.0, None, 1.0, 20.0)
    p = data.p_index
    result = polarization_analysis(data.windows[:, :, p : p + 50])
    err = np.abs(angle_error_deg(result.back_azimuth_deg, data.back_azimuth_deg))
    assert np.median(err) < 10.0


def test_wrong_number_of_components_is_a_data_error():
    with pytest.raises(DataError, match="shape"):
        polarization_analysis(np.zeros((2, 2, 50)))


def test_station_correction_learns_misorientation_and_structure_from_train_only():
    from seislearn.data.synthetic import SiteEffects
    from seislearn.evaluation.circular import angle_error_deg
    from seislearn.evaluation.polarization import (
        apply_station_correction,
        fit_station_correction,
    )

    site = SiteEffects(
        misorientation_deg=5.0, deviation_amplitude_deg=(8.0, 3.0), deviation_phase_deg=(30, 70)
    )
    rng = np.random.default_rng(0)
    true = rng.uniform(0, 360, 400)
    # What polarization analysis reads at that station, plus 1-degree scatter.
    estimated = np.mod(site.polarization_azimuth_deg(true) - 5.0 + rng.normal(0, 1, 400), 360)
    train, test = slice(0, 300), slice(300, None)
    coef = fit_station_correction(estimated[train], true[train])
    assert abs(coef[0] - 5.0) < 1.0  # the misorientation
    corrected = apply_station_correction(estimated[test], coef)
    assert np.all((corrected >= 0) & (corrected < 360))
    before = np.abs(angle_error_deg(estimated[test], true[test])).mean()
    after = np.abs(angle_error_deg(corrected, true[test])).mean()
    assert before > 5.0 and after < 1.5


def test_station_correction_needs_enough_labelled_traces():
    from seislearn.evaluation.polarization import fit_station_correction

    assert fit_station_correction(np.arange(10.0), np.arange(10.0)) is None
    assert fit_station_correction(np.full(30, np.nan), np.arange(30.0)) is None
