"""Train, evaluate and apply a CNN on MDS189 key frames or video frames.

One process:   python problem4/train.py --data-root data/mds189_sample --frames key --model deep
N processes:   torchrun --nproc_per_node=N problem4/train.py ... (same arguments; --batch-size is per process)

The run folder (--output-dir) receives: log.csv (train loss every --log-interval steps, validation loss
and accuracy every --val-interval steps and at each epoch end), loss_curves.png, accuracy.csv/.md
(per movement and overall, of the best checkpoint), confusion_matrix.png, errors.png (misclassified
validation frames), checkpoint_best.pt, checkpoint_last.pt, norm_stats.json, metrics.json and, with
--predict, submission.csv. Only rank 0 writes. Checkpoints hold the unwrapped model, so they load the
same in one process or many. Bad input (a missing file, a corrupt image, an unknown label, an argument
that contradicts the --resume checkpoint) stops the program with one line on stderr that names it, and
exit status 1.
"""

import argparse
import contextlib
import json
import math
import os
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

import reports
from atomic import atomic_open
from cli_errors import report_errors
from mds189_constants import MOVEMENTS
from problem4 import distributed
from problem4.cnn_reports import (
    check_submission_format,
    plot_error_gallery,
    plot_loss_curves,
    write_submission,
)
from problem4.mds189 import Mds189, label_file_path
from problem4.models import MODELS, build_model, check_image_size, count_parameters
from problem4.presets import Preprocess, compute_mean_std, input_shape

LOG_COLUMNS = ["step", "epoch", "split", "loss", "accuracy", "lr"]
# Settings a checkpoint fixes, with their defaults. Left out with --resume, they come from the checkpoint;
# given, they must equal the checkpoint's (a ValueError names those that differ). --eval-only needs only
# the first three.
SAVED_ARGS = {
    "frames": "key",
    "model": "deep",
    "image_size": 64,
    "optimizer": "adamw",
    "lr_scheduler": "cosine",
    "lr": 1e-3,
    "momentum": 0.9,
    "weight_decay": 1e-4,
}
EVAL_ARGS = ("frames", "model", "image_size")


def get_args_parser(add_help=True):
    parser = argparse.ArgumentParser(description="Train a CNN on MDS189 frames", add_help=add_help)
    parser.add_argument("--data-root", type=Path, required=True, help="folder holding dataloader_files/")
    parser.add_argument("--frames", choices=["key", "video"], help="training frames (default key)")
    parser.add_argument("--model", choices=list(MODELS), help="architecture (default deep)")
    parser.add_argument(
        "--epochs", type=int, default=10, help="number of epochs, in all when resuming (default 10)"
    )
    parser.add_argument("--batch-size", type=int, default=64, help="images per step and process (default 64)")
    parser.add_argument("--lr", type=float, help="initial learning rate (default 1e-3)")
    parser.add_argument(
        "--optimizer",
        choices=["adamw", "adam", "sgd"],
        help="update rule (default adamw); sgd uses --momentum",
    )
    parser.add_argument("--momentum", type=float, help="SGD momentum (default 0.9)")
    parser.add_argument("--weight-decay", type=float, help="weight decay (default 1e-4)")
    parser.add_argument(
        "--lr-scheduler",
        choices=["cosine", "none"],
        help="per-step cosine decay to 0 over all epochs, or a constant rate (default cosine)",
    )
    parser.add_argument(
        "--image-size",
        type=int,
        help="input height; width is half (default 64; at least 30 for deep, 16 for the others)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    parser.add_argument("--num-workers", type=int, default=0, help="DataLoader worker processes (default 0)")
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch CPU threads per process (default 0: all cores, shared among local processes)",
    )
    parser.add_argument(
        "--device",
        default="auto",
        help="auto (CUDA when present), cpu, cuda, cuda:N (one process only) (default auto)",
    )
    switches = (
        ("--amp", "mixed precision on CUDA (default on; never used on CPU)"),
        ("--channels-last", "channels_last memory format on CUDA (default on; never used on CPU)"),
        ("--cache", "decode and resize every image once, keep them in memory (default on)"),
    )
    for flag, text in switches:
        parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=True, help=text)
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="also keep the decoded images in this folder for later runs, node-local or shared "
        "(default: memory only)",
    )
    parser.add_argument(
        "--max-samples",
        type=int,
        default=0,
        help="use a seeded random subset of at most N training and N validation images (default all)",
    )
    parser.add_argument(
        "--log-interval", type=int, default=10, help="log the training loss every N steps (default 10)"
    )
    parser.add_argument(
        "--val-interval",
        type=int,
        default=0,
        help="log the validation loss every M steps (default 0: at each epoch end only)",
    )
    parser.add_argument(
        "--output-dir", type=Path, default=Path("runs/cnn"), help="run folder (default runs/cnn)"
    )
    parser.add_argument(
        "--resume",
        type=Path,
        default=None,
        help="checkpoint to continue from (or to evaluate); frames, model, image size, optimizer and "
        "learning-rate settings come from it; --epochs may be raised to extend the run",
    )
    parser.add_argument("--eval-only", action="store_true", help="only evaluate the --resume checkpoint")
    parser.add_argument(
        "--predict", action="store_true", help="write submission.csv for the Kaggle test frames"
    )
    parser.add_argument(
        "--submission-format",
        type=Path,
        default=None,
        help="kaggle_submission_format.csv (default: DATA_ROOT/kaggle_submission_format.csv)",
    )
    parser.add_argument(
        "--gallery-size",
        type=int,
        default=24,
        help="misclassified frames shown in errors.png (default 24; 0: no errors.png)",
    )
    return parser


def set_seed(seed):
    """Seed Python's, NumPy's and PyTorch's random number generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def seed_worker(worker_id):
    """DataLoader worker_init_fn: derive NumPy's and Python's seeds from the worker's torch seed."""
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


def note(message, info):
    """Print a remark about the run on stderr (rank 0 only)."""
    if info.is_main:
        tqdm.write(f"note: {message}", file=sys.stderr)


def rng_state(generator, device):
    """This process's random states that a resumed run needs (tensors and plain Python values only).

    Python's, NumPy's, torch's CPU generator, the train loader's generator and, on CUDA, the generator of
    this process's GPU only (a checkpoint of every GPU's state could not be restored on fewer GPUs).
    """
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    return {
        "python": random.getstate(),
        "numpy": [name, keys.tolist(), pos, has_gauss, gauss],
        "torch": torch.get_rng_state(),
        "loader": generator.get_state(),
        "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
    }


def set_rng_state(state, generator, device):
    """Restore what ``rng_state`` returned (a CUDA state only when running on CUDA)."""
    random.setstate(tuple(v if not isinstance(v, list) else tuple(v) for v in state["python"]))
    name, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((name, np.array(keys, dtype=np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state["torch"])
    generator.set_state(state["loader"])
    cuda = state.get("cuda")
    if isinstance(cuda, list):  # checkpoints of earlier versions: every GPU's state
        cuda = cuda[0] if cuda else None
    if cuda is not None and device.type == "cuda":
        torch.cuda.set_rng_state(cuda, device)


def restore_rng(saved, generator, device, info, args, epoch):
    """Give this process its random states from a checkpoint's ``rng`` entry.

    The checkpoint holds one state per process of the run that wrote it. With as many processes now, each
    takes its own, so a resumed run continues exactly; otherwise every process derives fresh states from
    --seed, its rank and the epoch (rank 0 says so).
    """
    per_rank = saved["ranks"] if "ranks" in saved else [saved]  # earlier versions: rank 0's state only
    if len(per_rank) == info.world_size:
        set_rng_state(per_rank[info.rank], generator, device)
        return
    seed = int(np.random.SeedSequence([args.seed, info.rank, epoch]).generate_state(1)[0])
    set_seed(seed)
    generator.manual_seed(seed)
    note(
        f"{args.resume} holds the random states of {len(per_rank)} process(es), this run has "
        f"{info.world_size}: the random states are derived from --seed, the rank and the epoch",
        info,
    )


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


def saved_setting(ckpt, name, default):
    """Setting ``name`` (a SAVED_ARGS key) as a checkpoint records it, typed like ``default``, or None."""
    top = {"frames": "frames", "model": "model_name", "image_size": "image_size"}
    if name in top and top[name] in ckpt:
        return ckpt[top[name]]
    value = ckpt.get("args", {}).get(name)
    return None if value in (None, "None") else type(default)(value)


def resolve_args(args, ckpt):
    """A copy of ``args`` with the settings a checkpoint fixes (``SAVED_ARGS``) filled in.

    Without a checkpoint, settings left out get their defaults. With one, they come from the checkpoint,
    and a setting given on the command line that differs from the checkpoint's raises ValueError naming it
    (with --eval-only only frames, model and image size count; momentum only for SGD). --epochs,
    --batch-size and the rest may change: the learning-rate schedule is rebuilt for the new total.
    """
    args = argparse.Namespace(**vars(args))
    conflicts = []
    for name, default in SAVED_ARGS.items():
        given = getattr(args, name)
        saved = saved_setting(ckpt, name, default) if ckpt is not None else None
        if saved is None:
            setattr(args, name, default if given is None else given)
            continue
        counts = name in EVAL_ARGS or not args.eval_only
        if name == "momentum":
            counts = counts and saved_setting(ckpt, "optimizer", "") == "sgd"
        if given is not None and given != saved and counts:
            conflicts.append(f"--{name.replace('_', '-')} {given} (the checkpoint's is {saved})")
        setattr(args, name, saved)
    if conflicts:
        raise ValueError(
            f"--resume {args.resume} was trained with other settings: {'; '.join(conflicts)}. Leave them "
            "out to use the checkpoint's, or start a new run without --resume"
        )
    return args


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
    """DataLoader over this process's share of a dataset, in file order (no shuffling, no padding)."""
    return DataLoader(
        dataset,
        batch_size=args.batch_size,
        sampler=distributed.ShardSampler(len(dataset), info),
        num_workers=args.num_workers,
        worker_init_fn=seed_worker,
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


def to_device(images, targets, device, channels_last):
    """Move a batch to the device (non-blocking from pinned memory; channels_last if asked)."""
    images = images.to(device, non_blocking=True)
    if channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    return images, targets.to(device, non_blocking=True)


def autocast(device, enabled):
    """Mixed-precision context (float16 on CUDA); a no-op when disabled."""
    return torch.autocast(device_type=device.type, dtype=torch.float16, enabled=enabled)


def build_optimizer(args, params):
    if args.optimizer == "sgd":
        return torch.optim.SGD(params, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    opt_class = torch.optim.AdamW if args.optimizer == "adamw" else torch.optim.Adam
    return opt_class(params, lr=args.lr, weight_decay=args.weight_decay)


class CosineSchedule:
    """Learning-rate factor of a cosine decay from 1 to 0 over ``total`` steps (a picklable LambdaLR rule)."""

    def __init__(self, total):
        self.total = max(int(total), 1)

    def __call__(self, step):
        return 0.5 * (1.0 + math.cos(math.pi * min(step, self.total) / self.total))


def _constant(step):
    return 1.0


def build_scheduler(args, optimizer, total_steps, step=0):
    """The per-step learning-rate schedule, positioned after ``step`` steps.

    The rate after k steps is --lr times a function of k and ``total_steps`` only (LambdaLR), so a resumed
    run rebuilds it for its own total (more --epochs stretch the cosine to the new end) and a resume
    with unchanged settings gives exactly the rates of an uninterrupted run. With ``step`` > 0 the
    optimizer's state (loaded from the checkpoint) supplies 'initial_lr'.
    """
    schedule = CosineSchedule(total_steps) if args.lr_scheduler == "cosine" else _constant
    if step:
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", args.lr)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, schedule, last_epoch=step - 1)


def load_scaler_state(scaler, state):
    """Restore a GradScaler from a checkpoint's 'scaler' entry. A CPU or --no-amp run saved a disabled
    scaler, whose state is empty: an enabled scaler then keeps its fresh state. Returns the scaler."""
    if state and scaler.is_enabled():
        scaler.load_state_dict(state)
    return scaler


@torch.no_grad()
def infer(model, loader, device, info, amp=False, channels_last=False):
    """Logits and targets of a whole dataset, in file order, gathered from all processes.

    Inputs:
    - model: the unwrapped nn.Module (put in eval mode here)
    - loader: an ``eval_loader``

    Returns a tuple of:
    - logits: float32 tensor of shape (N, C) on the CPU
    - targets: int64 tensor of shape (N,)
    """
    model.eval()
    logits, targets = [], []
    for images, y in loader:
        images, _ = to_device(images, y, device, channels_last)
        with autocast(device, amp):
            logits.append(model(images).float().cpu())
        targets.append(y)
    indices = torch.tensor(list(loader.sampler), dtype=torch.int64)
    num_classes = len(MOVEMENTS)
    logits = torch.cat(logits) if logits else torch.empty(0, num_classes)
    targets = torch.cat(targets) if targets else torch.empty(0, dtype=torch.int64)
    return distributed.gather_by_index(indices, [logits, targets], len(loader.dataset), info)


def evaluate(model, loader, device, info, amp=False, channels_last=False):
    """Mean cross-entropy loss and predictions over a labelled dataset (all processes together).

    Returns a tuple of:
    - loss: float, the mean over all N items
    - y_true: int64 tensor of shape (N,), file order
    - y_pred: int64 tensor of shape (N,)
    """
    logits, targets = infer(model, loader, device, info, amp, channels_last)
    return F.cross_entropy(logits, targets).item(), targets, logits.argmax(dim=1)


def predict(model, loader, device, info, amp=False, channels_last=False):
    """Predicted class indices of every item of a (test) dataset, shape (N,), in file order."""
    logits, _ = infer(model, loader, device, info, amp, channels_last)
    return logits.argmax(dim=1)


def train_step(model, optimizer, scheduler, scaler, images, targets, device, amp):
    """One optimisation step on a batch already on ``device``: forward (autocast when ``amp``), backward
    (scaled), update, learning-rate step. Returns the batch's mean loss as a detached 0-d tensor on the
    device (reading it with .item() would wait for the GPU)."""
    with autocast(device, amp):
        loss = F.cross_entropy(model(images), targets)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    scheduler.step()
    return loss.detach()


def train_one_epoch(model, optimizer, scheduler, scaler, loader, device, epoch, state, args, info, validate):
    """One pass over the training data.

    Inputs:
    - model: the model to train (DistributedDataParallel-wrapped under torchrun)
    - state: dict with 'step' (int), 'log' (list of row dicts), 'amp' and 'channels_last', updated in place
    - validate: callable() run every ``args.val_interval`` steps; it logs the validation loss

    The training loss is logged every ``args.log_interval`` steps and at the end of the epoch (for the
    steps since the last row, if any), so every step is in exactly one row: the mean loss per image over
    that row's steps and all processes (sum over processes / number of images). It is summed on the
    device and read once per row.

    Returns the number of images this process trained on.
    """
    model.train()
    window_loss = torch.zeros((), dtype=torch.float64, device=device)
    window_images, window_steps, seen = 0, 0, 0

    def log_window():
        loss_sum, n = distributed.all_sum([window_loss.item(), window_images], info)
        log_row(state, epoch, "train", loss_sum / n, lr=scheduler.get_last_lr()[0], info=info)

    for images, targets in tqdm(
        loader, desc=f"epoch {epoch + 1}/{args.epochs}", leave=False, disable=not info.is_main
    ):
        images, targets = to_device(images, targets, device, state["channels_last"])
        loss = train_step(model, optimizer, scheduler, scaler, images, targets, device, state["amp"])
        state["step"] += 1
        window_loss += loss.double() * len(targets)
        window_images += len(targets)
        window_steps += 1
        seen += len(targets)
        if state["step"] % args.log_interval == 0:
            log_window()
            window_loss.zero_()
            window_images, window_steps = 0, 0
        if args.val_interval and state["step"] % args.val_interval == 0:
            validate()
            model.train()
    if window_steps:
        log_window()
    return seen


def log_row(state, epoch, split, loss, accuracy=float("nan"), lr=float("nan"), info=None):
    """Append one row to the run's log (and print it on rank 0)."""
    state["log"].append(
        {
            "step": state["step"],
            "epoch": epoch + 1,
            "split": split,
            "loss": loss,
            "accuracy": accuracy,
            "lr": lr,
        }
    )
    if info is None or info.is_main:
        extra = f" accuracy: {accuracy:.4f}" if split == "val" else f" lr: {lr:.3g}"
        tqdm.write(f"{split.capitalize()} Epoch: {epoch + 1} [step {state['step']}]\tLoss: {loss:.6f}{extra}")


def save_checkpoint(path, model, optimizer, scheduler, scaler, state, epoch, rng, meta):
    """Write a checkpoint atomically: weights of the unwrapped model and everything --resume needs.

    ``rng``: {'world_size': W, 'ranks': list of W ``rng_state`` dicts, by rank}.
    """
    ckpt = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict(),
        "epoch": epoch,
        "step": state["step"],
        "log": state["log"],
        "best_accuracy": state["best_accuracy"],
        "best_epoch": state["best_epoch"],
        "rng": rng,
        **meta,
    }
    with atomic_open(path, "wb") as f:
        torch.save(ckpt, f)


def load_checkpoint(path, device="cpu"):
    """Read a checkpoint written by ``save_checkpoint`` (tensors land on ``device``)."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    return torch.load(path, map_location=device, weights_only=True)


def copy_file(source, target):
    """Copy a file atomically, unless both names are the same file."""
    source, target = Path(source), Path(target)
    if target.exists() and target.resolve() == source.resolve():
        return
    with open(source, "rb") as src, atomic_open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)


def resumed_best(resume, ckpt):
    """The weights of a resumed run's best epoch, and the checkpoint file holding them.

    That is the resumed checkpoint itself when its epoch was the best, else ``checkpoint_best.pt`` beside
    it when that file is of the best epoch; else (None, None).
    """
    resume = Path(resume)
    if ckpt["best_epoch"] == ckpt["epoch"]:
        return ckpt["model"], resume
    beside = resume.parent / "checkpoint_best.pt"
    if beside.is_file() and beside.resolve() != resume.resolve():
        best = load_checkpoint(beside)
        if best.get("epoch") == ckpt["best_epoch"] and best.get("best_accuracy") == ckpt["best_accuracy"]:
            return best["model"], beside
    return None, None


def build_network(model_name, image_size, mean, std):
    """``Preprocess`` (augmentation in training mode, normalisation) followed by the named model: the
    network takes uint8 batches of shape (N, 3, *input_shape(image_size)) and returns logits (N, C)."""
    return nn.Sequential(Preprocess(mean, std), build_model(model_name, input_shape(image_size)))


def model_from_checkpoint(ckpt, device):
    """The network a checkpoint describes, with its weights, on ``device``."""
    model = build_network(ckpt["model_name"], ckpt["image_size"], ckpt["norm"]["mean"], ckpt["norm"]["std"])
    model.load_state_dict(ckpt["model"])
    return model.to(device)


def write_reports(out, y_true, y_pred, dataset, log, title, seed, gallery_size):
    """Accuracy table, confusion matrix, error gallery and loss curves of a run (rank 0 only)."""
    y_true, y_pred = y_true.numpy(), y_pred.numpy()
    table = reports.per_class_accuracy(y_true, y_pred, MOVEMENTS)
    reports.write_table(table, out / "accuracy")
    reports.plot_confusion_matrix(
        y_true,
        y_pred,
        MOVEMENTS,
        out / "confusion_matrix.png",
        title=f"{title}: confusion matrix (rows: true movement)",
    )
    wrong = np.flatnonzero(y_true != y_pred)
    if len(wrong) > gallery_size:
        wrong = np.sort(np.random.default_rng(seed).choice(wrong, size=gallery_size, replace=False))
    if gallery_size > 0:
        plot_error_gallery(
            [dataset.load(i) for i in wrong],
            [MOVEMENTS[y_true[i]] for i in wrong],
            [MOVEMENTS[y_pred[i]] for i in wrong],
            out / "errors.png",
        )
    if log:
        plot_loss_curves(pd.DataFrame(log), out / "loss_curves.png", title=title)
    return table


def write_json(data, path):
    with atomic_open(path) as f:
        json.dump(data, f, indent=2)
        f.write("\n")


def write_log(log, path):
    with atomic_open(path) as f:
        pd.DataFrame(log, columns=LOG_COLUMNS).to_csv(f, index=False)


def main(args):
    """Train (or with --eval-only evaluate) one model, write the run folder; returns the metrics dict.

    Every argument is checked before any image is read or any process group is joined: the device, the
    --resume checkpoint against the settings given, the image size for the model and, with --predict,
    the submission format file against the test list.
    """
    if args.eval_only and args.resume is None:
        raise ValueError("--eval-only needs --resume CHECKPOINT")
    for name in ("log_interval", "batch_size", "epochs"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1")
    kind = device_type(args.device)
    ckpt = load_checkpoint(args.resume, "cpu") if args.resume else None
    args = resolve_args(args, ckpt)
    input_shape(args.image_size)
    check_image_size(args.model, args.image_size, 2 if args.eval_only else args.batch_size)
    fmt_file = args.submission_format or args.data_root / "kaggle_submission_format.csv"
    if args.predict:
        if not fmt_file.is_file():
            raise FileNotFoundError(
                f"submission format file not found: {fmt_file} (pass --submission-format)"
            )
        test_list = Mds189(label_file_path(args.data_root, "video", "test"), args.data_root)
        check_submission_format(test_list.ids, fmt_file)

    info = distributed.init_distributed(kind)
    try:
        return _run(args, info, select_device(args.device, info), fmt_file, ckpt)
    finally:
        distributed.cleanup()


def _run(args, info, device, fmt_file, ckpt):
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    local_procs = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    torch.set_num_threads(args.threads or max(1, cores // local_procs))
    set_seed(args.seed + info.rank)
    cuda = device.type == "cuda"
    if cuda:
        torch.cuda.set_device(device)
    state = {
        "step": 0,
        "log": [],
        "best_accuracy": -float("inf"),
        "best_epoch": 0,
        "amp": cuda and args.amp,
        "channels_last": cuda and args.channels_last,
    }
    out = args.output_dir
    if info.is_main:
        out.mkdir(parents=True, exist_ok=True)

    model_name, image_size, frames = args.model, args.image_size, args.frames
    shape = input_shape(image_size)
    val_set = load_dataset(args, frames, "val", shape, info, args.max_samples)
    if ckpt:
        mean, std = ckpt["norm"]["mean"], ckpt["norm"]["std"]
    if not args.eval_only:
        train_set = load_dataset(args, frames, "train", shape, info, args.max_samples)
        if not ckpt:
            mean, std = compute_mean_std(train_set)
    meta = {
        "model_name": model_name,
        "image_size": image_size,
        "frames": frames,
        "norm": {"mean": mean, "std": std},
        "args": {k: str(v) for k, v in vars(args).items()},
    }
    if info.is_main:
        write_json(meta["norm"], out / "norm_stats.json")

    model = model_from_checkpoint(ckpt, device) if ckpt else build_network(model_name, image_size, mean, std)
    model = model.to(device)
    if state["channels_last"]:
        model = model.to(memory_format=torch.channels_last)
        model[0].channels_last = True  # Preprocess: grid_sample's output is NCHW
    pin = cuda
    val_loader = eval_loader(val_set, args, info, pin)
    ddp = (
        DistributedDataParallel(model, device_ids=[device.index] if cuda else None) if info.enabled else model
    )
    timer = {"val": 0.0}  # seconds spent validating, left out of the training throughput

    def validate(epoch):
        """Log the validation loss and accuracy at the current step (once per step); returns the accuracy."""
        last = state["log"][-1] if state["log"] else None
        if last and last["split"] == "val" and last["step"] == state["step"]:
            return last["accuracy"]
        tic = time.perf_counter()
        distributed.broadcast_buffers(model, info)  # BatchNorm statistics of rank 0 (what is saved)
        loss, y_true, y_pred = evaluate(model, val_loader, device, info, state["amp"], state["channels_last"])
        accuracy = (y_true == y_pred).double().mean().item()
        log_row(state, epoch, "val", loss, accuracy, info=info)
        timer["val"] += time.perf_counter() - tic
        return accuracy

    train_seconds, images_seen = 0.0, 0
    if not args.eval_only:
        generator = torch.Generator().manual_seed(args.seed)
        loader, sampler = train_loader(train_set, args, info, generator, pin)
        check_image_size(model_name, image_size, args.batch_size if loader.drop_last else len(loader.sampler))
        optimizer = build_optimizer(args, ddp.parameters())
        start_epoch, start_step = (ckpt["epoch"], ckpt["step"]) if ckpt else (0, 0)
        if ckpt:
            optimizer.load_state_dict(ckpt["optimizer"])
        total_steps = start_step + max(args.epochs - start_epoch, 0) * len(loader)
        scheduler = build_scheduler(args, optimizer, total_steps, start_step)
        scaler = torch.amp.GradScaler(device.type, enabled=state["amp"])
        best_weights = None  # rank 0's copy of the best epoch's weights (CPU)
        if ckpt:
            load_scaler_state(scaler, ckpt["scaler"])
            restore_rng(ckpt["rng"], generator, device, info, args, start_epoch)
            state.update(
                step=start_step,
                log=list(ckpt["log"]),
                best_accuracy=ckpt["best_accuracy"],
                best_epoch=ckpt["best_epoch"],
            )
            best_weights, source = resumed_best(args.resume, ckpt)
            if best_weights is None:
                note(
                    f"the best checkpoint of the resumed run (epoch {ckpt['best_epoch']}) is not beside "
                    f"{args.resume}: the best of epoch {start_epoch} onwards is kept instead",
                    info,
                )
                best_weights = ckpt["model"]
                state.update(best_accuracy=-float("inf"), best_epoch=start_epoch)
            elif info.is_main:
                copy_file(source, out / "checkpoint_best.pt")  # the run folder holds its best checkpoint
        for epoch in range(start_epoch, args.epochs):
            if sampler is not None:
                sampler.set_epoch(epoch)
            tic, validating = time.perf_counter(), timer["val"]
            seen = train_one_epoch(
                ddp,
                optimizer,
                scheduler,
                scaler,
                loader,
                device,
                epoch,
                state,
                args,
                info,
                validate=lambda e=epoch: validate(e),
            )
            train_seconds += time.perf_counter() - tic - (timer["val"] - validating)
            images_seen += int(distributed.all_sum([seen], info)[0])
            accuracy = validate(epoch)
            is_best = accuracy > state["best_accuracy"]
            if is_best:
                state.update(best_accuracy=accuracy, best_epoch=epoch + 1)
                if info.is_main:
                    best_weights = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
            rng = {
                "world_size": info.world_size,
                "ranks": distributed.all_gather_object(rng_state(generator, device), info),
            }
            if info.is_main:
                parts = (model, optimizer, scheduler, scaler, state, epoch + 1, rng, meta)
                if is_best:  # best first: a kill between the writes leaves last older than best, never newer
                    save_checkpoint(out / "checkpoint_best.pt", *parts)
                save_checkpoint(out / "checkpoint_last.pt", *parts)
                write_log(state["log"], out / "log.csv")
        if ckpt and start_epoch >= args.epochs:
            note(f"nothing to train: {args.resume} is at epoch {start_epoch} of --epochs {args.epochs}", info)
        for name in ("checkpoint_best.pt", "checkpoint_last.pt"):  # resumed with no epoch left to train
            if info.is_main and ckpt and not (out / name).is_file():
                copy_file(args.resume, out / name)
        model.load_state_dict(distributed.broadcast_object(best_weights if info.is_main else None, info))
    elif ckpt:
        state.update(log=list(ckpt["log"]), best_epoch=ckpt["best_epoch"])

    loss, y_true, y_pred = evaluate(model, val_loader, device, info, state["amp"], state["channels_last"])
    metrics = {
        "frames": frames,
        "model": model_name,
        "image_size": image_size,
        "params": count_parameters(model),
        "processes": info.world_size,
        "best_epoch": state["best_epoch"],
        "val_loss": loss,
        "val_accuracy": (y_true == y_pred).double().mean().item(),
        "val_images": len(val_set),
        "train_seconds": train_seconds,
        "train_images_per_s": images_seen / train_seconds if train_seconds else None,
    }
    if args.predict:
        metrics.update(predict_test(args, model, shape, device, info, state, out, fmt_file))
    if info.is_main:
        title = f"{model_name} on {frames} frames"
        table = write_reports(out, y_true, y_pred, val_set, state["log"], title, args.seed, args.gallery_size)
        write_log(state["log"], out / "log.csv")
        write_json(metrics, out / "metrics.json")
        print(
            f"\n{title}: validation accuracy per movement\n{table.to_markdown(index=False, floatfmt='.3f')}"
        )
    return metrics


def predict_test(args, model, shape, device, info, state, out, fmt_file):
    """Predict the Kaggle test frames; rank 0 writes submission.csv (and scores it when the sample
    data set ships its true test labels). Returns the metrics to add."""
    test_set = load_dataset(args, "video", "test", shape, info)
    pred = predict(
        model,
        eval_loader(test_set, args, info, device.type == "cuda"),
        device,
        info,
        state["amp"],
        state["channels_last"],
    )
    names = [MOVEMENTS[i] for i in pred.tolist()]
    metrics = {"test_images": len(test_set)}
    if info.is_main:
        write_submission(test_set.ids, names, out / "submission.csv", fmt_file)
        truth = args.data_root / "test_kaggle_labels.csv"
        if truth.is_file():
            true_names = pd.read_csv(truth, dtype=str).set_index("Id").loc[test_set.ids, "Category"]
            metrics["test_accuracy"] = float(np.mean(true_names.to_numpy() == np.array(names)))
    return metrics


if __name__ == "__main__":
    sys.exit(report_errors("train.py", main, get_args_parser().parse_args()))
