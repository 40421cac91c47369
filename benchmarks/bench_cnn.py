"""Speed of the problem4 CNN on this machine: input pipeline, inference, and 1 vs 2 torchrun processes.

    python benchmarks/bench_cnn.py [--data-root data/mds189_sample] [--images 2048] [--skip-torchrun]

What is measured (all on the CPU, the deep CNN at --image-size, batches of --batch-size, video frames):
1. Training images/s with the real input pipeline (Mds189 -> decoded-image cache -> train.py's shuffled
   DataLoader, ``loaders.train_loader`` -> ``runtime.to_device`` -> ``train.train_step``: Preprocess with
   augmentation, forward, backward, AdamW step, learning-rate step, as in ``train.train_one_epoch``),
   beside the same steps fed from uint8 tensors already in memory; their ratio (target >= 0.9 after
   the first epoch). Also the one-off cost of filling the cache (what the first epoch pays) and the
   rate without the cache (decoding every JPEG every epoch). The two are measured in lockstep, one step
   of each in turn, so that other load on the machine slows both alike; the rates and their ratio are
   those of one of --repeats epochs (the one with the fastest in-memory rate: the least disturbed).
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
from types import SimpleNamespace

import torch
from torch.utils.data import DataLoader

from problem4.distributed import DistInfo
from problem4.loaders import train_loader
from problem4.mds189 import Mds189, label_file_path
from problem4.models import build_network
from problem4.presets import compute_mean_std, input_shape
from problem4.runtime import to_device
from problem4.train import build_scheduler, train_step

REPO = Path(__file__).resolve().parents[1]
CPU = torch.device("cpu")


class Trainer:
    """What ``train.train_one_epoch`` does per batch on the CPU: to_device, train_step (AdamW, per-step
    cosine learning rate, a disabled GradScaler), and the loss summed on the device."""

    def __init__(self, model, total_steps):
        self.model = model
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
        args = SimpleNamespace(lr_scheduler="cosine", lr=1e-3)
        self.scheduler = build_scheduler(args, self.optimizer, total_steps)
        self.scaler = torch.amp.GradScaler("cpu", enabled=False)
        self.loss_sum = torch.zeros((), dtype=torch.float64)

    def step(self, images, targets):
        images, targets = to_device(images, targets, CPU)
        loss = train_step(
            self.model, self.optimizer, self.scheduler, self.scaler, images, targets, CPU, amp=False
        )
        self.loss_sum += loss.double() * len(targets)


def train_epoch_rate(trainer, batches):
    """Images/s of one pass of training steps over an iterable of (uint8 images, targets) batches."""
    trainer.model.train()
    n, tic = 0, time.perf_counter()
    for images, targets in batches:
        trainer.step(images, targets)
        n += len(targets)
    return n / (time.perf_counter() - tic)


def paired_rates(trainer, real_batches, memory_batches):
    """Images/s of two batch sources measured in lockstep (one step of each in turn), so that other
    load on the machine slows both alike. The time of a real batch includes fetching it.

    Returns a tuple of (real images/s, in-memory images/s).
    """
    trainer.model.train()
    seconds, counts = [0.0, 0.0], [0, 0]
    sources = (iter(real_batches), iter(memory_batches))
    while True:
        for k, source in enumerate(sources):
            tic = time.perf_counter()
            batch = next(source, None)
            if batch is None:
                return counts[0] / seconds[0], counts[1] / seconds[1]
            trainer.step(*batch)
            seconds[k] += time.perf_counter() - tic
            counts[k] += len(batch[1])


def in_memory_batches(images, targets, batch_size, generator):
    """Shuffled full batches sliced from tensors already in memory (the reference: no input pipeline)."""
    order = torch.randperm(len(targets), generator=generator)
    for i in range(0, len(order) - batch_size + 1, batch_size):
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
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-5000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"train.py under torchrun --nproc_per_node={nproc} failed (exit {done.returncode})")
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
    steps = len(data) // args.batch_size
    trainer = Trainer(model, total_steps=(2 * args.repeats + 2) * steps)
    targets = torch.tensor(data.targets)
    generator = torch.Generator().manual_seed(0)
    options = SimpleNamespace(seed=0, batch_size=args.batch_size, num_workers=0)
    loader, _ = train_loader(data, options, DistInfo(), generator, pin_memory=False)
    train_epoch_rate(trainer, in_memory_batches(data.images, targets, args.batch_size, generator))  # warm-up
    rates = [
        paired_rates(trainer, loader, in_memory_batches(data.images, targets, args.batch_size, generator))
        for _ in range(args.repeats)
    ]
    best = max(range(args.repeats), key=lambda k: rates[k][1])  # the least disturbed repeat
    real, memory = rates[best]
    ratios = ", ".join(f"{r / m:.2f}" for r, m in rates)
    uncached = Mds189(data.label_file, args.data_root, size=shape).select(range(min(512, len(data))))
    no_cache = train_epoch_rate(
        trainer, train_loader(uncached, options, DistInfo(), generator, pin_memory=False)[0]
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
    print(f"training, tensors already in memory:         {memory:8.1f} images/s")
    print(
        f"training, real pipeline with the cache:      {real:8.1f} images/s  "
        f"ratio {real / memory:.2f} (target >= 0.9; each repeat: {ratios})"
    )
    print(
        f"training, real pipeline without the cache:   {no_cache:8.1f} images/s  "
        f"ratio {no_cache / memory:.2f} ({len(uncached)} images, JPEG decoding every epoch)"
    )
    print(f"inference (eval mode, no_grad, batch 256):   {inference:8.1f} images/s")
    if not args.skip_torchrun:
        with tempfile.TemporaryDirectory() as tmp:
            one, two = torchrun_rate(args, 1, Path(tmp)), torchrun_rate(args, 2, Path(tmp))
        print(f"train.py under torchrun, 1 process:          {one:8.1f} images/s")
        print(f"train.py under torchrun, 2 processes (gloo): {two:8.1f} images/s  ratio {two / one:.2f}")


if __name__ == "__main__":
    main()
