"""Speed of the problem4 CNN on this machine: input pipeline, inference, and 1 vs 2 torchrun processes.

    python benchmarks/bench_cnn.py [--data-root data/mds189_sample] [--images 2048] [--skip-torchrun]

What is measured (all on the CPU, the deep CNN at --image-size, batches of --batch-size, video frames):
1. Training images/s (forward, backward, AdamW step, augmentation included) with the real input pipeline
   (Mds189 -> decoded-image cache -> shuffled DataLoader -> Preprocess), beside the same network fed
   from uint8 tensors already in memory; their ratio (target >= 0.9 after the first epoch). Also the
   one-off cost of filling the cache (what the first epoch pays) and the rate without the cache
   (decoding every JPEG every epoch). The two are measured in lockstep, one step of each in turn, so
   that other load on the machine slows both alike; each rate is the best of --repeats epochs.
2. Eval-mode inference images/s (no_grad, batches of 256, from the cache).
3. ``problem4/train.py`` under ``torchrun --nproc_per_node=1`` and ``=2`` (gloo; --batch-size per
   process, so 2 processes take steps of twice as many images): the training images/s it reports in
   metrics.json for one epoch, and the ratio. On a 2-core machine 2 processes get 1 thread each.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from problem4.mds189 import Mds189, label_file_path
from problem4.presets import compute_mean_std, input_shape
from problem4.train import build_network

REPO = Path(__file__).resolve().parents[1]


def train_step(model, optimizer, images, targets):
    loss = F.cross_entropy(model(images), targets)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def train_epoch_rate(model, optimizer, batches):
    """Images/s of one pass of training steps over an iterable of (uint8 images, targets) batches."""
    model.train()
    n, tic = 0, time.perf_counter()
    for images, targets in batches:
        train_step(model, optimizer, images, targets)
        n += len(targets)
    return n / (time.perf_counter() - tic)


def paired_rates(model, optimizer, real_batches, memory_batches):
    """Images/s of two batch sources measured in lockstep (one step of each in turn), so that other
    load on the machine slows both alike. The time of a real batch includes fetching it.

    Returns a tuple of (real images/s, in-memory images/s).
    """
    model.train()
    seconds, counts = [0.0, 0.0], [0, 0]
    sources = (iter(real_batches), iter(memory_batches))
    while True:
        for k, source in enumerate(sources):
            tic = time.perf_counter()
            batch = next(source, None)
            if batch is None:
                return counts[0] / seconds[0], counts[1] / seconds[1]
            train_step(model, optimizer, *batch)
            seconds[k] += time.perf_counter() - tic
            counts[k] += len(batch[1])


def in_memory_batches(images, targets, batch_size, generator):
    """Shuffled batches sliced from tensors already in memory (the reference: no input pipeline)."""
    order = torch.randperm(len(targets), generator=generator)
    for i in range(0, len(order), batch_size):
        idx = order[i : i + batch_size]
        yield images[idx], targets[idx]


def torchrun_rate(args, nproc, workdir):
    """Training images/s that train.py reports for one epoch under torchrun with ``nproc`` processes."""
    out = workdir / f"torchrun{nproc}"
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={nproc}",
        "problem4/train.py",
        "--data-root",
        str(args.data_root),
        "--frames",
        "video",
        "--model",
        "deep",
        "--epochs",
        "1",
        "--max-samples",
        str(args.images),
        "--image-size",
        str(args.image_size),
        "--batch-size",
        str(args.batch_size),
        "--log-interval",
        "1000",
        "--gallery-size",
        "0",
        "--output-dir",
        str(out),
        "--cache-dir",
        str(workdir / "cache"),
    ]
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, text=True)
    return json.loads((out / "metrics.json").read_text())["train_images_per_s"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, default=REPO / "data/mds189_sample")
    parser.add_argument("--images", type=int, default=2048, help="training images per epoch (default 2048)")
    parser.add_argument("--image-size", type=int, default=96, help="input height (default 96)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2, help="epochs per measured rate (best kept)")
    parser.add_argument("--skip-torchrun", action="store_true", help="leave out the 1 vs 2 process line")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    shape = input_shape(args.image_size)
    full = Mds189(label_file_path(args.data_root, "video", "train"), args.data_root, size=shape)
    data = full.select(range(min(args.images, len(full))))
    tic = time.perf_counter()
    data.cache_images()
    cache_seconds = time.perf_counter() - tic
    mean, std = compute_mean_std(data)
    model = build_network("deep", args.image_size, mean, std)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    targets = torch.tensor(data.targets)
    generator = torch.Generator().manual_seed(0)
    loader = DataLoader(data, batch_size=args.batch_size, shuffle=True, generator=generator)
    train_epoch_rate(
        model, optimizer, in_memory_batches(data.images, targets, args.batch_size, generator)
    )  # warm-up
    rates = [
        paired_rates(
            model, optimizer, loader, in_memory_batches(data.images, targets, args.batch_size, generator)
        )
        for _ in range(args.repeats)
    ]
    real, memory = [r for r, _ in rates], [m for _, m in rates]
    uncached = Mds189(data.label_file, args.data_root, size=shape).select(range(min(512, len(data))))
    no_cache = train_epoch_rate(
        model, optimizer, DataLoader(uncached, batch_size=args.batch_size, shuffle=True)
    )

    model.eval()
    tic = time.perf_counter()
    with torch.no_grad():
        for images, _ in DataLoader(data, batch_size=256):
            model(images)
    inference = len(data) / (time.perf_counter() - tic)

    threads = torch.get_num_threads()
    print(
        f"# problem4 CNN speed ({len(data)} video frames at {shape[0]}x{shape[1]}, deep CNN, "
        f"batch {args.batch_size}, {threads} torch threads, {os.cpu_count()} CPUs)"
    )
    print(
        f"filling the decoded-image cache (the first epoch's extra cost): {cache_seconds:.1f} s "
        f"({len(data) / cache_seconds:.0f} images/s)"
    )
    print(f"training, tensors already in memory:         {max(memory):8.1f} images/s")
    print(
        f"training, real pipeline with the cache:      {max(real):8.1f} images/s  "
        f"ratio {max(real) / max(memory):.2f} (target >= 0.9)"
    )
    print(
        f"training, real pipeline without the cache:   {no_cache:8.1f} images/s  "
        f"ratio {no_cache / max(memory):.2f} ({len(uncached)} images, JPEG decoding every epoch)"
    )
    print(f"inference (eval mode, no_grad, batch 256):   {inference:8.1f} images/s")
    if not args.skip_torchrun:
        with tempfile.TemporaryDirectory() as tmp:
            one, two = torchrun_rate(args, 1, Path(tmp)), torchrun_rate(args, 2, Path(tmp))
        print(f"train.py under torchrun, 1 process:          {one:8.1f} images/s")
        print(f"train.py under torchrun, 2 processes (gloo): {two:8.1f} images/s  ratio {two / one:.2f}")


if __name__ == "__main__":
    main()
