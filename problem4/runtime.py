"""Where and how this process runs: the device, CPU threads, seeds, mixed precision, rank-0 remarks.

Used by ``train.py`` and ``compare.py``; nothing here reads data or knows about checkpoints.
"""

import os
import random
import sys

import numpy as np
import torch
from tqdm import tqdm


def set_seed(seed):
    """Seed Python's, NumPy's and PyTorch's random number generators (NumPy's with ``seed`` mod 2**32,
    the most it takes: train.py seeds each process with --seed + its rank)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def set_threads(threads):
    """torch's CPU threads: ``threads``, or with 0 this process's cores shared among the processes of
    its machine (torchrun's LOCAL_WORLD_SIZE)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    local_procs = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    torch.set_num_threads(threads or max(1, cores // local_procs))


def note(message, info):
    """Print a remark about the run on stderr (rank 0 only)."""
    if info.is_main:
        tqdm.write(f"note: {message}", file=sys.stderr)


def device_type(name):
    """'cuda' or 'cpu' for a ``--device`` value (auto: CUDA when present); ValueError for anything else."""
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        kind = torch.device(name).type
    except RuntimeError:
        raise ValueError(f"--device {name!r} is not a device; use auto, cpu, cuda or cuda:N") from None
    if kind not in ("cpu", "cuda"):
        raise ValueError(f"--device {name}: only cpu and cuda are supported (auto, cpu, cuda, cuda:N)")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {name}, but PyTorch sees no CUDA device (use --device cpu or auto)")
    return kind


def select_device(name, info):
    """The torch.device for ``--device``: under torchrun each process takes the GPU of its local rank."""
    if device_type(name) == "cpu":
        return torch.device("cpu")
    index = None if name == "auto" else torch.device(name).index
    if index is not None and info.enabled:
        raise ValueError(
            f"--device {name} names one GPU; under torchrun pass --device cuda (each process takes the GPU "
            "of its local rank)"
        )
    index = info.local_rank if index is None else index
    if index >= torch.cuda.device_count():
        count = torch.cuda.device_count()
        raise ValueError(f"--device {name}: there is no cuda:{index} ({count} CUDA device(s))")
    return torch.device("cuda", index)


def to_device(images, targets, device):
    """Move a batch to the device (non-blocking from pinned memory). The uint8 images keep their layout:
    a channels_last network's ``Preprocess`` puts its float output in that format."""
    return images.to(device, non_blocking=True), targets.to(device, non_blocking=True)


def autocast(device, enabled):
    """Mixed-precision context (float16 on CUDA); a no-op when disabled."""
    return torch.autocast(device_type=device.type, dtype=torch.float16, enabled=enabled)
