"""Inputs: variants, windows around P or S, spectrogram shapes, train-only scaling."""

from __future__ import annotations

import numpy as np
import pytest

from seislearn.classify.config import ClassifyConfig
from seislearn.classify.data import prepare_waveforms
from seislearn.classify.features import InputScaler, parse_variant
from seislearn.errors import ConfigError


def test_variant_names_set_phase_window_and_preset() -> None:
    s32 = parse_variant("s32")
    assert (s32.phase, s32.before_s, s32.after_s, s32.preset) == ("S", 5.0, 15.0, "spectra32")
    p64 = parse_variant("P64")
    assert (p64.phase, p64.before_s, p64.after_s, p64.preset) == ("P", 5.0, 20.0, "spectra64")
    assert parse_variant("PW").preset is None


def test_unknown_variant_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="P128"):
        parse_variant("P128")


def test_p64_spectrograms_of_25_s_at_100_hz_have_33_by_77_pixels(synthetic_small) -> None:
    prep = prepare_waveforms(synthetic_small.select(range(4)), ClassifyConfig(variant="P64"))
    assert prep.inputs.shape == (4, 3, 33, 77)
    assert prep.axes["times_s"][0] == pytest.approx(-5 + 0.32)


def test_p32_uses_80_percent_overlap(synthetic_small) -> None:
    prep = prepare_waveforms(synthetic_small.select(range(2)), ClassifyConfig(variant="P32"))
    assert prep.inputs.shape == (2, 3, 17, 1 + (2500 - 32) // 6)


def test_s_window_is_centred_on_the_s_pick(synthetic_small) -> None:
    ds = synthetic_small.select([0])
    prep = prepare_waveforms(ds, ClassifyConfig(variant="SW", normalize="peak"))
    window = prep.inputs[0]
    # The S phase is about 1.7 x stronger than P: the peak lies after the S pick (5 s in).
    peak_s = np.abs(window).max(axis=0).argmax() / 100.0
    assert window.shape == (3, 2000)
    assert peak_s >= 5.0 - 0.5


def test_scaler_statistics_come_from_the_rows_it_was_fitted_on() -> None:
    rng = np.random.default_rng(0)
    train = rng.normal(3.0, 2.0, size=(50, 3, 5, 7)).astype(np.float32)
    test = rng.normal(-10.0, 1.0, size=(10, 3, 5, 7)).astype(np.float32)
    scaler = InputScaler().fit(train)
    assert abs(scaler.transform(train).mean()) < 1e-4
    assert scaler.transform(test).mean() < -5
    restored = InputScaler.from_dict(scaler.to_dict())
    np.testing.assert_allclose(restored.transform(test), scaler.transform(test), rtol=1e-6)
