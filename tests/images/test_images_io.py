"""Reading image patches: .mat v5/v7.3, PNG, NPY; bad files are named, never blank images."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from scipy.io import savemat

from seislearn.errors import DataError
from seislearn.io.images import read_image, read_images, robust_scale, stack_scaled


@pytest.fixture
def patch():
    return np.arange(30 * 20, dtype=np.float32).reshape(30, 20) / 100.0


def test_mat_v5_uses_the_only_2d_array_whatever_its_name(tmp_path, patch):
    savemat(tmp_path / "a.mat", {"section": patch, "dt": np.float64(0.004)})
    assert np.array_equal(read_image(tmp_path / "a.mat"), patch)


def test_mat_with_several_2d_arrays_falls_back_to_img(tmp_path, patch):
    savemat(tmp_path / "a.mat", {"img": patch, "mask": np.ones((3, 3))})
    assert np.array_equal(read_image(tmp_path / "a.mat"), patch)


def test_mat_with_several_2d_arrays_and_no_img_asks_for_the_key(tmp_path, patch):
    savemat(tmp_path / "a.mat", {"amp": patch, "mask": np.ones((3, 3))})
    with pytest.raises(DataError, match=r"a\.mat.*pass the key"):
        read_image(tmp_path / "a.mat")
    assert np.array_equal(read_image(tmp_path / "a.mat", key="amp"), patch)


def test_mat_v73_is_read_through_h5py_in_matlab_orientation(tmp_path, patch):
    # MATLAB v7.3 = HDF5 with a 512-byte user block, arrays stored column-major (transposed).
    with h5py.File(tmp_path / "b.mat", "w", userblock_size=512) as f:
        f["img"] = patch.T
    assert np.array_equal(read_image(tmp_path / "b.mat"), patch)


def test_png_is_read_as_grayscale(tmp_path):
    from PIL import Image

    rgb = np.zeros((10, 12, 3), dtype=np.uint8)
    rgb[..., 0] = 200
    Image.fromarray(rgb).save(tmp_path / "c.png")
    image = read_image(tmp_path / "c.png")
    assert image.shape == (10, 12) and image.dtype == np.float32


def test_npy_holding_pickled_objects_is_refused(tmp_path):
    np.save(tmp_path / "d.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match=r"d\.npy.*cannot read"):
        read_image(tmp_path / "d.npy")


def test_corrupt_file_is_a_data_error_naming_it(tmp_path):
    (tmp_path / "bad.mat").write_bytes(b"not a matlab file at all")
    with pytest.raises(DataError, match=r"bad\.mat"):
        read_image(tmp_path / "bad.mat")


def test_image_with_nan_is_rejected(tmp_path, patch):
    patch[3, 4] = np.nan
    np.save(tmp_path / "n.npy", patch)
    with pytest.raises(DataError, match="NaN"):
        read_image(tmp_path / "n.npy")


def test_unreadable_file_stops_the_read_by_default(tmp_path, patch):
    (tmp_path / "fault").mkdir()
    np.save(tmp_path / "fault" / "ok.npy", patch)
    (tmp_path / "fault" / "broken.png").write_bytes(b"\x89PNG truncated")
    with pytest.raises(DataError, match=r"broken\.png"):
        read_images(tmp_path)


def test_skip_mode_lists_the_unreadable_file_and_gives_it_no_label(tmp_path, patch):
    for cls in ("fault", "horizon"):
        (tmp_path / cls).mkdir()
        np.save(tmp_path / cls / "ok.npy", patch)
    (tmp_path / "fault" / "broken.png").write_bytes(b"\x89PNG truncated")
    patches = read_images(tmp_path, on_error="skip")
    assert patches.files == ["fault/ok.npy", "horizon/ok.npy"]
    assert patches.labels == ["fault", "horizon"]
    assert len(patches.skipped) == 1 and "broken.png" in patches.skipped[0]


def test_flat_folder_is_read_without_labels(tmp_path, patch):
    np.save(tmp_path / "x.npy", patch)
    np.save(tmp_path / "y.npy", patch)
    patches = read_images(tmp_path)
    assert patches.labels is None and patches.files == ["x.npy", "y.npy"]


def test_patches_beside_class_subfolders_are_an_error(tmp_path, patch):
    (tmp_path / "fault").mkdir()
    np.save(tmp_path / "fault" / "a.npy", patch)
    np.save(tmp_path / "stray.npy", patch)
    with pytest.raises(DataError, match="mixes"):
        read_images(tmp_path)


def test_robust_scale_is_not_dominated_by_one_spike():
    image = np.random.default_rng(0).normal(size=(50, 50)).astype(np.float32)
    spiked = image.copy()
    spiked[0, 0] = 1e6
    scaled = robust_scale(spiked)
    assert scaled.min() >= 0 and scaled.max() <= 1
    # Apart from the spike, the scaling barely changes.
    assert np.abs(scaled - robust_scale(image))[1:, 1:].mean() < 0.01


def test_stack_scaled_resizes_every_patch_to_the_input_size(patch):
    stacked = stack_scaled([patch, patch[:10, :10]], 16)
    assert stacked.shape == (2, 16, 16) and stacked.dtype == np.float32
