"""P picks come from a local SeisBench PhaseNetLight; offline downloads fail clearly."""

from __future__ import annotations

import numpy as np
import pytest

from seislearn.errors import DataError, OfflineError


def test_local_picker_finds_p_inside_real_traces(shared_data):
    from seislearn.data.picking import add_picks, load_picker
    from seislearn.io import read_dataset

    picker = load_picker(shared_data / "weights" / "phasenetlight_ethz")
    dataset = read_dataset(shared_data / "seisbench_dummy").select([0, 2, 3])
    picked, _ = add_picks(dataset, picker)
    p = picked.metadata["trace_p_arrival_sample"].to_numpy()
    assert np.isfinite(p).all()
    assert ((p > 0) & (p < 1200)).all()  # samples at the data's own 20 Hz


def test_download_without_network_names_the_local_alternative(monkeypatch):
    import seisbench.models as sbm

    from seislearn.data.picking import load_picker

    def offline(*args, **kwargs):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(sbm.PhaseNetLight, "from_pretrained", offline)
    with pytest.raises(OfflineError, match="--weights"):
        load_picker(None)


def test_folder_without_weights_is_a_data_error(tmp_path):
    from seislearn.data.picking import load_picker

    with pytest.raises(DataError, match="no SeisBench weights"):
        load_picker(tmp_path)


def test_a_lower_s_threshold_finds_s_on_at_least_as_many_traces(shared_data):
    from seislearn.data.picking import add_picks, load_picker
    from seislearn.io import read_dataset

    picker = load_picker(shared_data / "weights" / "phasenetlight_ethz")
    dataset = read_dataset(shared_data / "seisbench_dummy").select(list(range(12)))
    counts = {}
    for threshold in (0.6, 0.1):
        picked, _ = add_picks(dataset, picker, s_threshold=threshold)
        counts[threshold] = int(picked.metadata["trace_s_arrival_sample"].notna().sum())
        # P picks do not depend on the S threshold.
        assert picked.metadata["trace_p_arrival_sample"].notna().sum() >= 11
    assert counts[0.1] > counts[0.6]
    with pytest.raises(ValueError, match="between 0 and 1"):
        add_picks(dataset.select([0]), picker, s_threshold=1.5)


@pytest.mark.parametrize("value", ["1.5", "0", "abc"])
def test_pick_rejects_a_threshold_outside_0_1_before_loading_anything(value, tmp_path, capsys):
    from seislearn.cli.main import main

    argv = ["azimuth", "pick", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "o")]
    argv += ["--weights", str(tmp_path / "none"), "--s-threshold", value]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2  # a usage error, not a traceback after loading the picker
    assert "--s-threshold" in capsys.readouterr().err
