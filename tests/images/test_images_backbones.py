"""torchvision backbones: offline error, local weights files, batched feature extraction."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision

from seislearn.errors import DataError, OfflineError
from seislearn.models import backbones
from seislearn.models.backbones import build_backbone, extract_features


@pytest.fixture
def empty_torch_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    return tmp_path / "hub"


def test_offline_without_cached_weights_says_how_to_get_them(empty_torch_cache, monkeypatch):
    monkeypatch.setenv("SEISLEARN_OFFLINE", "1")
    with pytest.raises(OfflineError) as info:
        build_backbone("resnet18", "imagenet")
    message = str(info.value)
    assert "--weights FILE" in message and "https://download.pytorch.org" in message
    assert str(empty_torch_cache / "checkpoints") in message


def test_failed_download_is_an_offline_error_not_a_traceback(empty_torch_cache, monkeypatch):
    monkeypatch.delenv("SEISLEARN_OFFLINE", raising=False)
    monkeypatch.setattr(backbones, "_download", lambda url, target: "URLError: no route")
    with pytest.raises(OfflineError, match="no route"):
        build_backbone("resnet18", "imagenet")


def test_cached_imagenet_weights_are_used_without_network(empty_torch_cache, monkeypatch):
    monkeypatch.setenv("SEISLEARN_OFFLINE", "1")
    reference = torchvision.models.resnet18(weights=None)
    url = torchvision.models.ResNet18_Weights.DEFAULT.url
    target = empty_torch_cache / "checkpoints" / url.rsplit("/", 1)[-1]
    target.parent.mkdir(parents=True)
    torch.save(reference.state_dict(), target)
    model, tag = build_backbone("resnet18", "imagenet")
    assert tag == "ResNet18_Weights.IMAGENET1K_V1"
    assert torch.equal(model.conv1.weight, reference.conv1.weight)


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_local_weights_file_is_loaded_into_the_backbone(tmp_path, suffix):
    reference = torchvision.models.resnet18(weights=None)
    path = tmp_path / f"w{suffix}"
    if suffix == ".pth":
        torch.save(reference.state_dict(), path)
    else:
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in reference.state_dict().items()}, str(path))
    model, tag = build_backbone("resnet18", str(path))
    assert tag.startswith("sha256:")
    assert torch.equal(model.layer4[1].conv2.weight, reference.layer4[1].conv2.weight)


def test_weights_of_another_architecture_are_a_data_error_naming_the_file(tmp_path):
    path = tmp_path / "other.pth"
    torch.save(torchvision.models.alexnet(weights=None).state_dict(), path)
    with pytest.raises(DataError, match=r"other\.pth.*do not fit resnet18"):
        build_backbone("resnet18", str(path))


def test_weights_file_holding_a_pickled_object_is_refused(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"model": torch.nn.Linear(2, 2)}, path)  # a module, not a state dict
    with pytest.raises(DataError, match=r"evil\.pth"):
        build_backbone("resnet18", str(path))


def test_extract_features_gives_one_vector_per_patch_in_any_batch_size():
    torch.manual_seed(0)
    model, _ = build_backbone("resnet18", "random")
    images = np.random.default_rng(0).random((5, 40, 40)).astype(np.float32)
    a = extract_features(model, images, batch_size=2, progress=False)
    b = extract_features(model, images, batch_size=5, progress=False)
    assert a.shape == (5, 512) and a.dtype == np.float32
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
