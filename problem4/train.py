"""Train, evaluate and apply a CNN on MDS189 key frames or video frames.

One process:   python problem4/train.py --data-root data/mds189_sample --frames key --model deep
N processes:   torchrun --nproc_per_node=N problem4/train.py ... (same arguments; --batch-size is per process)

The run folder (--output-dir) receives: log.csv (train loss every --log-interval steps, validation loss
and accuracy every --val-interval steps and at each epoch end), loss_curves.png, accuracy.csv/.md
(per movement and overall, of the best checkpoint), confusion_matrix.png, errors.png (misclassified
validation frames), checkpoint_best.pt, checkpoint_last.pt, norm_stats.json, metrics.json and, with
--predict, submission.csv. Only rank 0 writes. Checkpoints hold the unwrapped model, so they load the
same in one process or many. Bad input (a missing file, a corrupt image, an unknown label, a count out
of range, an argument that contradicts the --resume checkpoint) stops the program with one line on
stderr that names it, and exit status 1.

Its helpers: ``loaders`` (label file -> DataLoader), ``checkpoints`` (save, load, --resume), ``runtime``
(device, threads, seeds, mixed precision); the reports and the submission come from ``cnn_reports``.
"""

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from atomic import atomic_open
from cli_errors import report_errors
from mds189_constants import MOVEMENTS
from problem4 import distributed
from problem4.checkpoints import (
    SAVED_ARGS,
    copy_file,
    load_checkpoint,
    load_scaler_state,
    model_from_checkpoint,
    resolve_args,
    restore_rng,
    resumed_best,
    rng_state,
    save_checkpoint,
)
from problem4.cnn_reports import check_submission_format, write_reports, write_submission
from problem4.loaders import eval_loader, load_dataset, train_loader
from problem4.mds189 import Mds189, label_file_path
from problem4.models import MODELS, build_network, check_image_size, count_parameters
from problem4.presets import compute_mean_std, input_shape
from problem4.runtime import autocast, device_type, note, select_device, set_seed, set_threads, to_device

LOG_COLUMNS = ["step", "epoch", "split", "loss", "accuracy", "lr"]
SEED_RANGE = (0, 2**32 - 1)  # what NumPy's global generator accepts
# Integer options and their ranges: option -> (smallest, largest or None, what the smallest means or None)
COUNTS = {
    "epochs": (1, None, None),
    "batch_size": (1, None, None),
    "log_interval": (1, None, None),
    "val_interval": (0, None, "at each epoch end only"),
    "gallery_size": (0, None, "no errors.png"),
    "max_samples": (0, None, "all images"),
    "num_workers": (0, None, "load in the main process"),
    "threads": (0, None, "all cores"),
    "seed": (*SEED_RANGE, None),
}


def get_args_parser(add_help=True):
    parser = argparse.ArgumentParser(description="Train a CNN on MDS189 frames", add_help=add_help)
    parser.add_argument("--data-root", type=Path, required=True, help="folder holding dataloader_files/")
    # The settings of SAVED_ARGS have no parser default (None: left out), so that --resume takes those left
    # out from the checkpoint; resolve_args fills in the defaults of a new run.
    parser.add_argument("--frames", choices=["key", "video"], help=f"training frames {_default('frames')}")
    parser.add_argument("--model", choices=list(MODELS), help=f"architecture {_default('model')}")
    parser.add_argument(
        "--epochs",
        type=int,
        help=f"number of epochs, in all when resuming: more extend a resumed run {_default('epochs')}",
    )
    parser.add_argument(
        "--batch-size", type=int, help=f"images per step and process {_default('batch_size')}"
    )
    parser.add_argument("--lr", type=float, help=f"initial learning rate {_default('lr')}")
    parser.add_argument(
        "--optimizer",
        choices=["adamw", "adam", "sgd"],
        help=f"update rule, sgd uses --momentum {_default('optimizer')}",
    )
    parser.add_argument("--momentum", type=float, help=f"SGD momentum {_default('momentum')}")
    parser.add_argument("--weight-decay", type=float, help=f"weight decay {_default('weight_decay')}")
    parser.add_argument(
        "--lr-scheduler",
        choices=["cosine", "none"],
        help=f"per-step cosine decay to 0 over all epochs, or a constant rate {_default('lr_scheduler')}",
    )
    parser.add_argument(
        "--image-size",
        type=int,
        help="input height; width is half; at least 30 for deep, 16 for the others "
        f"{_default('image_size')}",
    )
    parser.add_argument(
        "--seed", type=int, help=f"seed of every random choice, 0 to 2**32 - 1 {_default('seed')}"
    )
    parser.add_argument(
        "--num-workers",
        type=int,
        default=0,
        help="DataLoader worker processes (default 0: load in the main process)",
    )
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
        help="use a seeded random subset of at most N training and N validation images "
        f"{_default('max_samples', ': all')}",
    )
    parser.add_argument(
        "--log-interval", type=int, help=f"log the training loss every N steps {_default('log_interval')}"
    )
    parser.add_argument(
        "--val-interval",
        type=int,
        help=f"log the validation loss every M steps {_default('val_interval', ': at each epoch end only')}",
    )
    parser.add_argument(
        "--output-dir", type=Path, default=Path("runs/cnn"), help="run folder (default runs/cnn)"
    )
    parser.add_argument(
        "--resume",
        type=Path,
        default=None,
        help="checkpoint to continue from (or to evaluate); the settings left out (frames, model, image "
        "size, optimizer and learning-rate settings, batch size, --max-samples, --seed, --epochs, the "
        "intervals) come from it, those given must match it, except --epochs (more extend the run), "
        "--log-interval and --val-interval",
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


def _default(name, meaning=""):
    """The help text's default of a ``SAVED_ARGS`` setting."""
    return f"(default {SAVED_ARGS[name]}{meaning}; with --resume, the checkpoint's)"


def check_counts(args, counts):
    """Raise ValueError naming the first option of ``counts`` (a dict like ``COUNTS``) whose value in
    ``args`` is out of its range, e.g. ``--threads must be at least 0 (0: all cores), got -1``. A value
    left out (None: a ``SAVED_ARGS`` setting, filled in later by ``resolve_args``) is not checked."""
    for name, (low, high, meaning) in counts.items():
        value, option = getattr(args, name), f"--{name.replace('_', '-')}"
        if value is None:
            continue
        if high is not None and not low <= value <= high:
            raise ValueError(f"{option} must be from {low} to {high}, got {value}")
        if value < low:
            zero = f" ({low}: {meaning})" if meaning else ""
            raise ValueError(f"{option} must be at least {low}{zero}, got {value}")


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


@torch.no_grad()
def infer(model, loader, device, info, amp=False):
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
        images, _ = to_device(images, y, device)
        with autocast(device, amp):
            logits.append(model(images).float().cpu())
        targets.append(y)
    indices = torch.tensor(list(loader.sampler), dtype=torch.int64)
    num_classes = len(MOVEMENTS)
    logits = torch.cat(logits) if logits else torch.empty(0, num_classes)
    targets = torch.cat(targets) if targets else torch.empty(0, dtype=torch.int64)
    return distributed.gather_by_index(indices, [logits, targets], len(loader.dataset), info)


def evaluate(model, loader, device, info, amp=False):
    """Mean cross-entropy loss and predictions over a labelled dataset (all processes together).

    Returns a tuple of:
    - loss: float, the mean over all N items
    - y_true: int64 tensor of shape (N,), file order
    - y_pred: int64 tensor of shape (N,)
    """
    logits, targets = infer(model, loader, device, info, amp)
    return F.cross_entropy(logits, targets).item(), targets, logits.argmax(dim=1)


def predict(model, loader, device, info, amp=False):
    """Predicted class indices of every item of a (test) dataset, shape (N,), in file order."""
    logits, _ = infer(model, loader, device, info, amp)
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
    - state: dict with 'step' (int), 'log' (list of row dicts) and 'amp' (bool), updated in place
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
        images, targets = to_device(images, targets, device)
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


def write_json(data, path):
    with atomic_open(path) as f:
        json.dump(data, f, indent=2)
        f.write("\n")


def write_log(log, path):
    with atomic_open(path) as f:
        pd.DataFrame(log, columns=LOG_COLUMNS).to_csv(f, index=False)


def main(args):
    """Train (or with --eval-only evaluate) one model, write the run folder; returns the metrics dict.

    Every argument is checked before any image is read or any process group is joined: the counts
    (``COUNTS``), the device, the --resume checkpoint against the settings given, the image size for the
    model and, with --predict, the submission format file against the test list.
    """
    if args.eval_only and args.resume is None:
        raise ValueError("--eval-only needs --resume CHECKPOINT")
    check_counts(args, COUNTS)
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
    """The run, once every argument is checked: data, model, training (with --eval-only, the checkpoint's
    record instead), then the final evaluation and the run folder's files. Returns the metrics dict."""
    set_threads(args.threads)
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
    }
    if info.is_main:
        args.output_dir.mkdir(parents=True, exist_ok=True)

    val_set, train_set, test_set, norm = load_data(args, info, ckpt)
    meta = {
        "model_name": args.model,
        "image_size": args.image_size,
        "frames": args.frames,
        "norm": norm,
        "args": {k: str(v) for k, v in vars(args).items()},
    }
    if info.is_main:
        write_json(norm, args.output_dir / "norm_stats.json")
    model = prepare_model(args, ckpt, norm, device, channels_last=cuda and args.channels_last)
    val_loader = eval_loader(val_set, args, info, cuda)
    validate = Validation(model, val_loader, device, info, state)

    train_seconds, images_seen = 0.0, 0
    if not args.eval_only:
        train_seconds, images_seen = fit(args, info, device, model, train_set, ckpt, state, meta, validate)
    elif ckpt:
        state.update(log=list(ckpt["log"]), best_epoch=ckpt["best_epoch"])
    return final_report(
        args, info, device, model, val_loader, test_set, state, fmt_file, train_seconds, images_seen
    )


def load_data(args, info, ckpt):
    """The datasets of --frames, the test frames with --predict, and the normalisation statistics.

    The test frames come first, so that a bad test image stops the run before any training (with its
    error naming the file and the list line): cached (decoded once, the dataset then predicted after
    training) or, with --no-cache, decoded once here as a check, this process's share only. Decoding
    draws no random number (its DataLoader has a generator of its own), so --predict does not change the
    training.

    Returns a tuple of:
    - val_set: the validation Mds189 dataset
    - train_set: the training one (None with --eval-only)
    - test_set: the Kaggle test frames with --predict, else None
    - norm: {'mean': list of 3 floats, 'std': list of 3 floats}, the checkpoint's or the training set's
    """
    shape = input_shape(args.image_size)
    test_set = None
    if args.predict:
        test_set = load_dataset(args, "video", "test", shape, info)
        if test_set.images is None:
            for index in distributed.ShardSampler(len(test_set), info):
                test_set.load(index)
    val_set = load_dataset(args, args.frames, "val", shape, info, args.max_samples)
    if ckpt:
        mean, std = ckpt["norm"]["mean"], ckpt["norm"]["std"]
    train_set = None
    if not args.eval_only:
        train_set = load_dataset(args, args.frames, "train", shape, info, args.max_samples)
        if not ckpt:
            mean, std = compute_mean_std(train_set)
    return val_set, train_set, test_set, {"mean": mean, "std": std}


def prepare_model(args, ckpt, norm, device, channels_last):
    """The network on ``device``: the checkpoint's weights or freshly initialised; with ``channels_last``
    its weights and its ``Preprocess`` output in that memory format (``build_network``)."""
    if ckpt:
        return model_from_checkpoint(ckpt, device, channels_last)
    return build_network(args.model, args.image_size, norm["mean"], norm["std"], channels_last).to(device)


class Validation:
    """``validate(epoch)``: log the validation loss and accuracy at the current step (once per step) and
    return the accuracy. ``seconds``: the time spent validating, left out of the training throughput."""

    def __init__(self, model, loader, device, info, state):
        self.model, self.loader, self.device, self.info, self.state = model, loader, device, info, state
        self.seconds = 0.0

    def __call__(self, epoch):
        state = self.state
        last = state["log"][-1] if state["log"] else None
        if last and last["split"] == "val" and last["step"] == state["step"]:
            return last["accuracy"]
        tic = time.perf_counter()
        distributed.broadcast_buffers(self.model, self.info)  # BatchNorm statistics of rank 0 (what is saved)
        loss, y_true, y_pred = evaluate(self.model, self.loader, self.device, self.info, state["amp"])
        accuracy = (y_true == y_pred).double().mean().item()
        log_row(state, epoch, "val", loss, accuracy, info=self.info)
        self.seconds += time.perf_counter() - tic
        return accuracy


def fit(args, info, device, model, train_set, ckpt, state, meta, validate):
    """Train from epoch 0 (or the --resume checkpoint's epoch) to --epochs: after each epoch, validate,
    write the checkpoints (the best one first) and log.csv. Leaves the best epoch's weights in ``model``
    on every process.

    Returns a tuple of:
    - train_seconds: time spent training, validation left out
    - images_seen: images trained on, all processes together
    """
    out, cuda = args.output_dir, device.type == "cuda"
    ddp = (
        DistributedDataParallel(model, device_ids=[device.index] if cuda else None) if info.enabled else model
    )
    generator = torch.Generator().manual_seed(args.seed)
    loader, sampler = train_loader(train_set, args, info, generator, cuda)
    smallest_batch = args.batch_size if loader.drop_last else len(loader.sampler)
    check_image_size(args.model, args.image_size, smallest_batch)
    optimizer = build_optimizer(args, ddp.parameters())
    start_epoch, start_step = (ckpt["epoch"], ckpt["step"]) if ckpt else (0, 0)
    if ckpt:
        optimizer.load_state_dict(ckpt["optimizer"])
    total_steps = start_step + max(args.epochs - start_epoch, 0) * len(loader)
    scheduler = build_scheduler(args, optimizer, total_steps, start_step)
    scaler = torch.amp.GradScaler(device.type, enabled=state["amp"])
    best_weights = resume(args, info, device, ckpt, scaler, generator, state) if ckpt else None

    train_seconds, images_seen = 0.0, 0
    for epoch in range(start_epoch, args.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        tic, validating = time.perf_counter(), validate.seconds
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
        train_seconds += time.perf_counter() - tic - (validate.seconds - validating)
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
            parts = (model, optimizer, scaler, state, epoch + 1, rng, meta)
            if is_best:  # best first: a kill between the writes leaves last older than best, never newer
                save_checkpoint(out / "checkpoint_best.pt", *parts)
            save_checkpoint(out / "checkpoint_last.pt", *parts)
            write_log(state["log"], out / "log.csv")

    if ckpt and start_epoch >= args.epochs:
        note(
            f"nothing to train: {args.resume} is at epoch {start_epoch} of --epochs {args.epochs}; its best "
            "weights are evaluated and reported (a larger --epochs extends the run)",
            info,
        )
    for name in ("checkpoint_best.pt", "checkpoint_last.pt"):  # resumed with no epoch left to train
        if info.is_main and ckpt and not (out / name).is_file():
            copy_file(args.resume, out / name)
    model.load_state_dict(distributed.broadcast_object(best_weights if info.is_main else None, info))
    return train_seconds, images_seen


def resume(args, info, device, ckpt, scaler, generator, state):
    """Continue the --resume checkpoint's run: its scaler, random states, step, log and best epoch.

    Returns rank 0's copy of the best epoch's weights: the resumed run's best (its checkpoint file is
    copied into --output-dir) or, when that file is not beside the checkpoint, the checkpoint's own
    weights, the best then being counted from the checkpoint's epoch onwards.
    """
    start_epoch = ckpt["epoch"]
    load_scaler_state(scaler, ckpt["scaler"])
    restore_rng(ckpt["rng"], generator, device, info, args, start_epoch)
    state.update(
        step=ckpt["step"],
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
        copy_file(source, args.output_dir / "checkpoint_best.pt")  # the run folder holds its best checkpoint
    return best_weights


def final_report(
    args, info, device, model, val_loader, test_set, state, fmt_file, train_seconds, images_seen
):
    """Evaluate the final weights on the validation set, predict ``test_set`` (the test frames that
    ``load_data`` loaded with --predict) and (rank 0) write the reports, log.csv and metrics.json.
    Returns the metrics dict."""
    out = args.output_dir
    loss, y_true, y_pred = evaluate(model, val_loader, device, info, state["amp"])
    metrics = {
        "frames": args.frames,
        "model": args.model,
        "image_size": args.image_size,
        "params": count_parameters(model),
        "processes": info.world_size,
        "best_epoch": state["best_epoch"],
        "val_loss": loss,
        "val_accuracy": (y_true == y_pred).double().mean().item(),
        "val_images": len(val_loader.dataset),
        "train_seconds": train_seconds,
        "train_images_per_s": images_seen / train_seconds if train_seconds else None,
    }
    if args.predict:
        metrics.update(predict_test(args, model, test_set, device, info, state, out, fmt_file))
    if info.is_main:
        title = f"{args.model} on {args.frames} frames"
        table = write_reports(
            out, y_true, y_pred, val_loader.dataset, state["log"], title, args.seed, args.gallery_size
        )
        write_log(state["log"], out / "log.csv")
        write_json(metrics, out / "metrics.json")
        print(
            f"\n{title}: validation accuracy per movement\n{table.to_markdown(index=False, floatfmt='.3f')}"
        )
    return metrics


def predict_test(args, model, test_set, device, info, state, out, fmt_file):
    """Predict the Kaggle test frames ``test_set`` (an Mds189 dataset); rank 0 writes submission.csv
    (and scores it when the sample data set ships its true test labels). Returns the metrics to add."""
    test_loader = eval_loader(test_set, args, info, device.type == "cuda")
    pred = predict(model, test_loader, device, info, state["amp"])
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
