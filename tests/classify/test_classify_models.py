"""The CNNs: shapes, size, and layers SHAP's DeepExplainer can walk."""

from __future__ import annotations

import torch
from torch import nn

from seislearn.classify.model import SpectrogramCNN, WaveformCNN1D, count_parameters


def test_spectrogram_cnn_accepts_any_spectrogram_size() -> None:
    model = SpectrogramCNN(n_outputs=4).eval()
    for shape in ((33, 77), (17, 412), (33, 96)):
        assert model(torch.zeros(2, 3, *shape)).shape == (2, 4)


def test_spectrogram_cnn_has_no_multi_million_dense_layer() -> None:
    model = SpectrogramCNN(n_outputs=2)
    assert count_parameters(model) < 100_000
    largest_linear = max(m.weight.numel() for m in model.modules() if isinstance(m, nn.Linear))
    assert largest_linear <= 64 * 2


def test_waveform_cnn_maps_three_component_windows_to_outputs() -> None:
    model = WaveformCNN1D(n_outputs=1).eval()
    assert model(torch.zeros(5, 3, 2500)).shape == (5, 1)


def test_cnn_layers_are_not_in_place_and_not_reused() -> None:
    model = SpectrogramCNN()
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    assert relus and not any(r.inplace for r in relus)
    assert len({id(r) for r in relus}) == len(relus) == 3
