"""Every per-trace output names traces the user's way after ``data convert``.

Synthetic events are written as a STEAD archive (CSV + HDF5, STEAD names such
as ``XS.S003_20200105093001_EV``), read with the STEAD reader and converted to
SeisBench with ``write_seisbench``, which renames them ``bucket0_0$k,:3,:N``.
Each workflow, run with a tiny configuration on the converted copy, must name
the traces by their STEAD names (``trace_name``) and keep the SeisBench names
beside them (``trace_name_seisbench``).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from seislearn.data import schema
from seislearn.io.stead import COLUMN_MAP

TINY_AZIMUTH = {
    "training": {"head_epochs": 1, "batch_size": 32},
    "model": {"channels": [8, 16], "head_hidden": [16]},
}


def write_as_stead(dataset, folder: Path) -> list[str]:
    """Write ``dataset`` as a STEAD CSV + HDF5 with STEAD-style names; return the names."""
    folder.mkdir(parents=True)
    meta = dataset.metadata.copy()
    times = pd.to_datetime(meta[schema.START_TIME]).dt.strftime("%Y%m%d%H%M%S")
    names = [
        f"{net}.{sta}_{t}_{'NO' if cat == 'noise' else 'EV'}{i}"
        for i, (net, sta, t, cat) in enumerate(
            zip(
                meta[schema.STATION_NETWORK],
                meta[schema.STATION_CODE],
                times,
                meta[schema.CATEGORY],
                strict=True,
            )
        )
    ]
    with h5py.File(folder / "chunk.hdf5", "w") as f:
        for i, name in enumerate(names):
            f[f"data/{name}"] = dataset.get_waveform(i)[[2, 1, 0]].T  # (N, 3) E, N, Z
    inverse = {v: k for k, v in COLUMN_MAP.items()}
    table = meta.drop(columns=[schema.SAMPLING_RATE, schema.COMPONENT_ORDER, schema.SNR_DB])
    table = table.rename(columns=inverse)
    table["trace_name"] = names
    table["snr_db"] = [f"[{v:.2f} {v:.2f} {v:.2f}]" for v in meta[schema.SNR_DB]]
    table["trace_category"] = np.where(
        meta[schema.CATEGORY] == "noise", "noise", "earthquake_local"
    )
    table.to_csv(folder / "chunk.csv", index=False)
    return names


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> tuple[Path, set[str]]:
    from seislearn.data.synthetic import make_events
    from seislearn.io.seisbench import write_seisbench
    from seislearn.io.stead import read_stead

    root = tmp_path_factory.mktemp("identity")
    names = write_as_stead(make_events(120, seed=5), root / "stead")
    write_seisbench(read_stead(root / "stead"), root / "converted")
    stored = pd.read_csv(root / "converted" / "metadata.csv")
    assert stored["trace_name"].str.startswith("bucket").all()
    return root / "converted", set(names)


def assert_user_names(table: pd.DataFrame, names: set[str]) -> None:
    assert len(table) > 0
    assert set(table["trace_name"]) <= names
    assert table["trace_name_seisbench"].str.startswith("bucket").all()


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    import torch

    torch.set_num_threads(1)


def test_azimuth_train_and_predict_name_traces_the_users_way(converted, tmp_path):
    from seislearn.azimuth.api import predict, train
    from seislearn.azimuth.config import AzimuthConfig

    data, names = converted
    run = train(data, tmp_path / "run", AzimuthConfig.model_validate(TINY_AZIMUTH))
    assert_user_names(pd.read_csv(run / "predictions.csv"), names)
    predicted = predict(run, data, tmp_path / "predicted")
    assert_user_names(pd.read_csv(predicted), names)


def test_cluster_assignments_name_traces_the_users_way(converted, tmp_path):
    from seislearn.cluster.api import ClusterConfig, train_cluster

    data, names = converted
    config = ClusterConfig.model_validate(
        {
            "training": {"pretrain_epochs": 1, "dec_max_epochs": 1},
            "model": {"channels": [8, 16]},
            "embedding_plot": "pca",
            "k_range": [2, 3],
        }
    )
    run = train_cluster(data, tmp_path / "run", n_clusters=2, config=config)
    assert_user_names(pd.read_csv(Path(run) / "assignments.csv"), names)


def test_classify_and_explain_outputs_name_traces_the_users_way(converted, tmp_path):
    from seislearn.classify.api import train
    from seislearn.classify.apply import evaluate, predict
    from seislearn.classify.config import ClassifyConfig
    from seislearn.explain.api import explain

    data, names = converted
    config = ClassifyConfig(
        target="source_type", model={"channels": [8, 16]}, training={"epochs": 1, "batch_size": 16}
    )
    run = tmp_path / "run"
    train(data, config, run)
    assert_user_names(pd.read_csv(run / "predictions.csv"), names)
    assert_user_names(pd.read_csv(run / "splits.csv"), names)
    # The run's own split is found again through the SeisBench names in splits.csv.
    evaluate(run, data, tmp_path / "evaluated", split="test")
    evaluated = pd.read_csv(tmp_path / "evaluated" / "predictions.csv")
    assert_user_names(evaluated, names)
    splits = pd.read_csv(run / "splits.csv")
    assert set(evaluated["trace_name"]) == set(splits.loc[splits["split"] == "test", "trace_name"])
    assert_user_names(predict(run, data, tmp_path / "predicted.csv"), names)
    explained = explain(run, data, tmp_path / "explained", n=2, cross_check=False)
    with np.load(Path(explained["path"]) / "attributions.npz", allow_pickle=False) as saved:
        assert set(saved["trace_name"]) <= names
        assert all(s.startswith("bucket") for s in saved["trace_name_seisbench"])
