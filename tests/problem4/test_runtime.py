import pytest
import torch

from problem4.distributed import DistInfo
from problem4.runtime import device_type, select_device


def test_device_selection(monkeypatch):
    assert device_type("cpu") == "cpu" and select_device("cpu", DistInfo()) == torch.device("cpu")
    with pytest.raises(ValueError, match="'foo' is not a device"):
        device_type("foo")
    with pytest.raises(ValueError, match="only cpu and cuda"):
        device_type("meta")
    if not torch.cuda.is_available():
        for name in ("cuda", "cuda:1"):
            with pytest.raises(ValueError, match="sees no CUDA device"):
                device_type(name)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # no CUDA call is made below
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert device_type("auto") == device_type("cuda:1") == "cuda"
    assert select_device("cuda:1", DistInfo()) == torch.device("cuda", 1)
    assert select_device("auto", DistInfo(3, 4, local_rank=1)) == torch.device("cuda", 1)
    with pytest.raises(ValueError, match="under torchrun pass --device cuda"):
        select_device("cuda:1", DistInfo(0, 2))
    with pytest.raises(ValueError, match="there is no cuda:2"):
        select_device("cuda:2", DistInfo())
