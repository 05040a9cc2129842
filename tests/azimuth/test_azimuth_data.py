"""Labels come from the label column or from coordinates; a flipped label is reported."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from seislearn.azimuth.data import back_azimuth_labels, ensure_event_ids, prepare
from seislearn.data import schema
from seislearn.errors import DataError
from seislearn.evaluation.circular import angle_error_deg


def test_back_azimuth_from_coordinates_matches_the_synthetic_labels(synthetic_small):
    meta = synthetic_small.metadata.drop(columns=[schema.BACK_AZIMUTH])
    baz = back_azimuth_labels(meta)
    err = angle_error_deg(baz, synthetic_small.metadata[schema.BACK_AZIMUTH].to_numpy())
    assert np.abs(err).max() < 1e-6


def test_label_180_degrees_from_coordinates_is_warned(synthetic_small, caplog):
    meta = synthetic_small.metadata.copy()
    meta.loc[0, schema.BACK_AZIMUTH] = (meta.loc[0, schema.BACK_AZIMUTH] + 180.0) % 360.0
    with caplog.at_level(logging.WARNING):
        back_azimuth_labels(meta, "synthetic")
    assert "180 degrees" in caplog.text and meta.loc[0, schema.TRACE_NAME] in caplog.text


def test_no_labels_and_no_coordinates_is_a_data_error(synthetic_small):
    meta = synthetic_small.metadata.drop(
        columns=[schema.BACK_AZIMUTH, schema.SOURCE_LATITUDE, schema.STATION_LATITUDE]
    )
    with pytest.raises(DataError, match="no back-azimuth"):
        back_azimuth_labels(meta, "x")


def test_event_ids_are_made_from_source_coordinates_when_missing(synthetic_small):
    meta = synthetic_small.metadata.drop(columns=[schema.SOURCE_ID, schema.SOURCE_ORIGIN_TIME])
    ids = ensure_event_ids(meta)[schema.SOURCE_ID]
    assert ids.nunique() == len(meta)


def test_windows_are_normalized_together_so_component_ratios_survive(synthetic_small):
    data = prepare(synthetic_small, 0.5, 2.0, None, 1.0, 20.0)
    assert data.windows.shape == (len(synthetic_small), 3, 250)
    np.testing.assert_allclose(data.windows.std(axis=(1, 2)), 1.0, rtol=1e-3)
    assert not np.allclose(data.windows.std(axis=2), 1.0)
