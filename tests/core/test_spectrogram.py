from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from seislearn.features.spectrogram import (
    PRESETS,
    SpectrogramConfig,
    frequencies,
    spectrogram,
    times,
)


@pytest.mark.parametrize(
    "cfg",
    [
        PRESETS["spectra64"],
        PRESETS["spectra32"],
        SpectrogramConfig(
            nperseg=65, noverlap=40, nfft=128, window=("kaiser", 5.65), log=False, fmin=2, fmax=20
        ),
    ],
)
def test_batched_spectrogram_matches_scipy_with_the_same_parameters(cfg):
    x = np.random.default_rng(0).standard_normal((2, 3, 2500)).astype(np.float32) * 50
    f, t, expected = signal.spectrogram(
        x.astype(np.float64),
        fs=100.0,
        window=cfg.window,
        nperseg=cfg.nperseg,
        noverlap=cfg.nperseg - cfg.hop,
        nfft=cfg.n_fft,
    )
    keep = (f >= (cfg.fmin or -np.inf)) & (f <= (cfg.fmax or np.inf))
    expected = expected[..., keep, :]
    if cfg.log:
        expected = np.log10(expected + cfg.eps)
    ours = spectrogram(x, 100.0, cfg).numpy()
    assert ours.shape == expected.shape
    if cfg.log:  # compare powers: float32 log10 of near-zero DC bins differs in the 3rd decimal
        ours, expected = 10**ours, 10**expected
    np.testing.assert_allclose(ours, expected, rtol=1e-3, atol=1e-6 * expected.max())
    np.testing.assert_allclose(frequencies(cfg, 100.0), f[keep])
    np.testing.assert_allclose(times(cfg, 2500, 100.0), t)


def test_presets_have_the_published_overlaps():
    assert PRESETS["spectra64"].nperseg - PRESETS["spectra64"].hop == 32
    assert PRESETS["spectra32"].nperseg - PRESETS["spectra32"].hop == 26  # 80 % of 32


def test_a_sine_puts_its_power_in_its_frequency_bin():
    t = np.arange(2000) / 100.0
    x = np.sin(2 * np.pi * 12.5 * t)[None, None]
    spec = spectrogram(x, 100.0, SpectrogramConfig(nperseg=64, log=False)).numpy()[0, 0]
    assert frequencies(SpectrogramConfig(nperseg=64), 100.0)[
        spec.mean(axis=1).argmax()
    ] == pytest.approx(12.5, abs=1.6)
