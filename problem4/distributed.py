"""torchrun support: the process group from the environment, samplers, metric reduction, rank-0 guard.

Without torchrun (no ``WORLD_SIZE`` in the environment, or 1) every function here is the identity of
a single process, so ``train.py`` has one code path for both.
"""

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from torch.utils.data import Sampler


@dataclass(frozen=True)
class DistInfo:
    """Where this process stands: rank among world_size processes, local_rank on its machine."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self):
        return self.rank == 0

    @property
    def enabled(self):
        return self.world_size > 1


def init_distributed(device_type):
    """Join the process group torchrun describes in the environment (nccl on CUDA, gloo otherwise).

    Returns a DistInfo; a single process (no torchrun) gets DistInfo() and no process group.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistInfo()
    info = DistInfo(int(os.environ["RANK"]), world_size, int(os.environ.get("LOCAL_RANK", "0")))
    if device_type == "cuda":
        torch.cuda.set_device(info.local_rank)
    dist.init_process_group(backend="nccl" if device_type == "cuda" else "gloo")
    return info


def cleanup():
    """Leave the process group, if any."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


@contextlib.contextmanager
def local_first(info):
    """Run the block on each machine's first process (local rank 0) first, then on the others there.

    For a file in a node-local folder: one process per machine builds it, the others then read it. (With a
    folder shared by all machines, each machine's first process builds it; the writes are atomic.)
    """
    if info.enabled and info.local_rank != 0:
        dist.barrier()
    yield
    if info.enabled and info.local_rank == 0:
        dist.barrier()


@contextlib.contextmanager
def node_local_dir(info):
    """A temporary folder of the same name on every machine, removed after the block (None for a
    single process): where local rank 0 leaves decoded images for the other processes of its machine."""
    if not info.enabled:
        yield None
        return
    name = Path(broadcast_object(tempfile.mkdtemp(prefix="mds189_cache_") if info.is_main else None, info))
    name.mkdir(parents=True, exist_ok=True)
    try:
        yield name
        dist.barrier()  # every process has read what it needs
    finally:
        if info.local_rank == 0:
            shutil.rmtree(name, ignore_errors=True)


class ShardSampler(Sampler):
    """Indices rank, rank + world_size, ... of a dataset: every item exactly once over all ranks, in
    file order, with no padding (unlike DistributedSampler), for evaluation and prediction."""

    def __init__(self, length, info):
        self.length, self.info = length, info

    def __iter__(self):
        return iter(range(self.info.rank, self.length, self.info.world_size))

    def __len__(self):
        return len(range(self.info.rank, self.length, self.info.world_size))


def all_sum(values, info):
    """Sum a list of floats over all processes (float64); identity for a single process."""
    if not info.enabled:
        return list(values)
    t = torch.tensor(values, dtype=torch.float64)
    if dist.get_backend() == "nccl":
        t = t.cuda()
    dist.all_reduce(t)
    return t.cpu().tolist()


def gather_by_index(indices, columns, length, info):
    """Put per-process results back into dataset order.

    Inputs:
    - indices: this process's dataset indices, shape (n,)
    - columns: list of tensors of shape (n, ...) (e.g. predictions, targets, losses)
    - length: the dataset size; over all processes every index 0..length-1 appears exactly once

    Returns a list of tensors of shape (length, ...), row i belonging to dataset index i.
    """
    if info.enabled:
        gathered = [None] * info.world_size
        dist.all_gather_object(gathered, (indices.cpu(), [c.cpu() for c in columns]))
        indices = torch.cat([g[0] for g in gathered])
        columns = [torch.cat([g[1][k] for g in gathered]) for k in range(len(columns))]
    if indices.numel() != length or not torch.equal(indices.sort().values, torch.arange(length)):
        raise RuntimeError(
            f"evaluation covered {indices.numel()} items, expected each of {length} exactly once"
        )
    order = indices.argsort()
    return [c[order] for c in columns]


def broadcast_buffers(module, info):
    """Copy rank 0's buffers (BatchNorm running statistics) to every process, in place."""
    if info.enabled:
        for buffer in module.buffers():
            dist.broadcast(buffer.data, src=0)


def all_gather_object(obj, info):
    """The list of every process's ``obj``, by rank (any picklable object); ``[obj]`` for a single process."""
    if not info.enabled:
        return [obj]
    gathered = [None] * info.world_size
    dist.all_gather_object(gathered, obj)
    return gathered


def broadcast_object(obj, info):
    """Rank 0's ``obj`` on every process (any picklable object); identity for a single process."""
    if not info.enabled:
        return obj
    holder = [obj]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]
