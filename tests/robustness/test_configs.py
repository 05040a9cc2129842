"""Impossible configurations are refused with one message naming the key, before any work.

Generated invalid overrides (impossible values, wrong types, non-finite numbers,
unknown keys) for every workflow's config; and the values that depend on the
data (the Nyquist frequency, the components present, the target column, the
number of traces) refused from the metadata, before a waveform is read and
before Lightning is imported.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seislearn.azimuth.config import AzimuthConfig
from seislearn.classify.config import ClassifyConfig
from seislearn.cluster.config import ClusterConfig
from seislearn.config import load_config
from seislearn.errors import ConfigError, SeislearnError

FAST = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# (config class, override, the key the message must name)
IMPOSSIBLE = [
    (AzimuthConfig, ["window.freqmin_hz=30", "window.freqmax_hz=20"], "freqmin_hz"),
    (AzimuthConfig, ["model.channels=[]"], "channels"),
    (AzimuthConfig, ["model.channels=[16, -4]"], "channels"),
    (AzimuthConfig, ["window.freqmax_hz=80"], "freqmax_hz"),  # above Nyquist of 100 Hz
    (AzimuthConfig, ["window=5", "window.before_s=1"], "window"),
    (ClassifyConfig, ["freqmin=10", "freqmax=2"], "freqmin"),
    (ClassifyConfig, ["split_fractions=[0.8, -0.1, 0.3]"], "split_fractions"),
    (ClassifyConfig, ["split_fractions=[0, 0.5, 0.5]"], "split_fractions"),
    (ClassifyConfig, ["model.channels=[]"], "channels"),
    (ClassifyConfig, ["folds=1"], "folds"),
    (ClusterConfig, ["features.nfft=16"], "nfft"),
    (ClusterConfig, ["features.noverlap=128"], "noverlap"),
    (ClusterConfig, ["features.noverlap=-1"], "noverlap"),
    (
        ClusterConfig,
        ["features.target_rate=10", "features.length_s=5", "features.freqmax=null"],
        "nperseg",
    ),
    (ClusterConfig, ["features.freqmin=30", "features.freqmax=5"], "freqmin"),
    (ClusterConfig, ["features.components=XYZ"], "components"),
    (ClusterConfig, ["features.components=ZZ"], "components"),
    (ClusterConfig, ["model.channels=[]"], "channels"),
]
NUMERIC_KEYS = [
    (AzimuthConfig, "training.lr"),
    (AzimuthConfig, "window.after_s"),
    (ClassifyConfig, "training.lr"),
    (ClassifyConfig, "training.weight_decay"),
    (ClusterConfig, "training.pretrain_lr"),
    (ClusterConfig, "training.dec_lr"),
    (ClusterConfig, "features.length_s"),
]


@pytest.mark.parametrize(("model", "overrides", "key"), IMPOSSIBLE)
def test_an_impossible_value_is_refused_naming_its_key(model, overrides, key) -> None:
    with pytest.raises(ConfigError, match=key):
        load_config(model, overrides=overrides)


@FAST
@given(
    case=st.sampled_from(NUMERIC_KEYS),
    value=st.sampled_from([".inf", "-.inf", ".nan", "'fast'", "[1, 2]", "{a: 1}", "null"]),
)
def test_non_finite_or_wrongly_typed_numbers_name_the_key(case, value) -> None:
    model, key = case
    with pytest.raises(ConfigError, match=key.split(".")[-1]):
        load_config(model, overrides=[f"{key}={value}"])


@FAST
@given(
    model=st.sampled_from([AzimuthConfig, ClassifyConfig, ClusterConfig]),
    section=st.sampled_from(["", "training.", "model.", "features.", "window."]),
    name=st.from_regex(r"[a-z][a-z_]{2,12}", fullmatch=True),
)
def test_an_unknown_key_is_refused_naming_it(model, section, name) -> None:
    key = f"{section}{name}"
    try:
        load_config(model, overrides=[f"{key}=1"])
    except ConfigError as exc:
        assert name in str(exc) or f"'{key.split('.')[0]}'" in str(exc)
    # A valid key set to 1 may pass; what must never happen is another exception.


def test_the_defaults_of_every_workflow_are_valid() -> None:
    for model in (AzimuthConfig, ClassifyConfig, ClusterConfig):
        load_config(model)


# -- values that depend on the data ---------------------------------------------------
@pytest.fixture(scope="module")
def small(synthetic_archive) -> Path:
    return synthetic_archive(12, seed=2)


@pytest.fixture
def no_waveform_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from seislearn.data.dataset import WaveformDataset

    def refuse(self, idx):
        raise AssertionError("a waveform was read before the configuration was checked")

    monkeypatch.setattr(WaveformDataset, "get_waveform", refuse)


def test_data_dependent_values_are_checked_from_the_metadata(small: Path, no_waveform_read):
    from seislearn.azimuth.api import load_data
    from seislearn.classify.data import load_inputs
    from seislearn.cluster.features import compute_spectrograms
    from seislearn.io import read_dataset

    rate = float(read_dataset(small).metadata["trace_sampling_rate_hz"].min())
    azimuth = load_config(AzimuthConfig, overrides=["window.target_rate_hz=null"])
    azimuth.window.freqmax_hz = rate  # above Nyquist of the data
    with pytest.raises(ConfigError, match=r"freqmax.*Nyquist"):
        load_data(small, azimuth, require_labels=False)
    with pytest.raises(ConfigError, match="no_such_column"):
        load_inputs(small, ClassifyConfig(target="no_such_column"))
    cluster = load_config(ClusterConfig, overrides=["features.nperseg=100000"])
    with pytest.raises(ConfigError, match="nperseg"):
        compute_spectrograms(read_dataset(small), cluster.features)


def test_more_clusters_than_traces_is_refused_before_any_work(small: Path, tmp_path: Path):
    from seislearn.cluster.api import train_cluster

    with pytest.raises(ConfigError, match="13 is more than the 12 traces"):
        train_cluster(small, tmp_path / "run", 13)
    assert np.isfinite(1.0)


def test_a_bad_config_is_refused_before_lightning_is_imported(small: Path, tmp_path: Path):
    code = (
        "import sys\nfrom seislearn.cli.main import main\n"
        f"rc = main(['cluster', 'train', '--data', {str(small)!r}, '--out', "
        f"{str(tmp_path / 'run')!r}, '--n-clusters', '2', '--set', 'features.nfft=16'])\n"
        "print(rc, 'lightning' in sys.modules)\n"
    )
    env_path = str(Path(__file__).resolve().parents[2] / "src")
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.stdout.split() == ["1", "False"], result.stderr
    assert "features.nfft (16)" in result.stderr and "Traceback" not in result.stderr


def test_every_data_error_is_a_seislearn_error() -> None:
    assert issubclass(ConfigError, SeislearnError)


def test_lightning_is_quiet_whenever_a_training_command_imports_it() -> None:
    code = (
        "import logging, sys\nfrom seislearn.cli.main import _quiet_lightning\n"
        "_quiet_lightning()\nassert 'lightning' not in sys.modules\nimport lightning\n"
        "print(logging.getLogger('lightning.pytorch').level)\n"
    )
    env_path = str(Path(__file__).resolve().parents[2] / "src")
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.stdout.split() == ["30"], result.stderr
