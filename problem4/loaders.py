"""From label file to DataLoader, for one process or many: a seeded subset, the decoded-image cache
(built once per machine under torchrun), the shuffled training loader and the sharded evaluation loader.
"""

import contextlib
import random

import numpy as np
import torch
from torch.utils.data import DataLoader, DistributedSampler

from problem4 import distributed
from problem4.mds189 import Mds189, label_file_path


def seed_worker(worker_id):
    """DataLoader worker_init_fn: derive NumPy's and Python's seeds from the worker's torch seed."""
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


def load_dataset(args, frames, split, shape, info, limit=0):
    """The Mds189 dataset of one label file, optionally a seeded subset, optionally cached.

    Under torchrun the first process of each machine decodes the images and writes them to a cache file;
    the machine's other processes then read that file: in --cache-dir (node-local or shared) or, without
    it, in a temporary node-local folder that is removed once read. Every process holds all the images.
    """
    dataset = Mds189(label_file_path(args.data_root, frames, split), args.data_root, size=shape)
    if limit and len(dataset) > limit:
        rng = np.random.default_rng(args.seed)
        dataset = dataset.select(sorted(rng.choice(len(dataset), size=limit, replace=False)))
    if args.cache:
        if args.cache_dir:
            shared = contextlib.nullcontext(args.cache_dir)
        else:
            shared = distributed.node_local_dir(info)
        with shared as cache_dir, distributed.local_first(info):
            dataset.cache_images(cache_dir, args.num_workers)
    return dataset


def eval_loader(dataset, args, info, pin_memory):
    """DataLoader over this process's share of a dataset, in file order (no shuffling, no padding).

    It has a generator of its own: each iteration of a DataLoader draws a seed, which must not come from
    torch's global generator (the augmentation's), so that how often a run validates leaves its training
    unchanged.
    """
    return DataLoader(
        dataset,
        batch_size=args.batch_size,
        sampler=distributed.ShardSampler(len(dataset), info),
        num_workers=args.num_workers,
        worker_init_fn=seed_worker,
        generator=torch.Generator(),
        pin_memory=pin_memory,
    )


def train_loader(dataset, args, info, generator, pin_memory):
    """The shuffled training DataLoader and its DistributedSampler (None for a single process).

    Full batches only: when a process's share is larger than a batch, the remainder (fewer than
    --batch-size images, different ones each epoch since the order is reshuffled) is left out of the
    epoch, so every image is still seen over the epochs. Under torchrun the DistributedSampler also
    leaves out ``len % world_size`` images each epoch instead of padding the shares with duplicates.
    """
    sampler = (
        DistributedSampler(dataset, shuffle=True, seed=args.seed, drop_last=True) if info.enabled else None
    )
    share = len(sampler) if sampler is not None else len(dataset)
    if share == 0:
        raise ValueError(f"{len(dataset)} training image(s) cannot be shared by {info.world_size} processes")
    loader = DataLoader(
        dataset,
        batch_size=args.batch_size,
        shuffle=sampler is None,
        sampler=sampler,
        num_workers=args.num_workers,
        worker_init_fn=seed_worker,
        generator=generator,
        pin_memory=pin_memory,
        drop_last=share >= args.batch_size,
    )
    return loader, sampler
