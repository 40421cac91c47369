"""Checkpoints of a train.py run and what --resume takes from them.

Writing and reading a checkpoint (atomically; weights of the unwrapped model, so it loads the same in one
process or many), the settings a checkpoint fixes against those given on the command line, every process's
random states, the gradient scaler's state, the best epoch's weights of a resumed run, the network a
checkpoint describes.
"""

import argparse
import random
import shutil
from pathlib import Path

import numpy as np
import torch

from atomic import atomic_open
from problem4.models import build_network
from problem4.runtime import note, set_seed

# The settings of a run that a checkpoint records, with their defaults for a new run (train.py's parser
# leaves them unset, None, so that --resume can tell a setting given from one left out). Left out with
# --resume, they come from the checkpoint. Given, they must equal the checkpoint's (a ValueError names
# those that differ), except CHANGEABLE_ARGS. Every other one changes what is trained or the training
# trajectory after a resume (the data order and step count: --batch-size, --max-samples and --seed, which
# draws the subset and the torchrun shuffle), so an exact resume needs the checkpoint's values. The rest
# of train.py's options (--device, --amp, --channels-last, --num-workers, --threads, --cache,
# --cache-dir, --gallery-size, --data-root, --output-dir, --predict) may differ.
SAVED_ARGS = {
    "frames": "key",
    "model": "deep",
    "image_size": 64,
    "optimizer": "adamw",
    "lr_scheduler": "cosine",
    "lr": 1e-3,
    "momentum": 0.9,
    "weight_decay": 1e-4,
    "batch_size": 64,
    "max_samples": 0,
    "seed": 0,
    "val_interval": 0,
    "epochs": 10,
    "log_interval": 10,
}
# --eval-only checks only these: what is evaluated. Its other settings, when given, are used as given.
EVAL_ARGS = ("frames", "model", "image_size")
# Taken from the checkpoint when left out, but free to change: --epochs is the total (more extend a run,
# the learning-rate schedule is rebuilt for the new total); --log-interval only groups the logged steps
# and --val-interval only says when to validate (validation draws no random number of the training's).
CHANGEABLE_ARGS = ("epochs", "log_interval", "val_interval")


def saved_setting(ckpt, name, default):
    """Setting ``name`` (a SAVED_ARGS key) as a checkpoint records it, typed like ``default``, or None."""
    top = {"frames": "frames", "model": "model_name", "image_size": "image_size"}
    if name in top and top[name] in ckpt:
        return ckpt[top[name]]
    value = ckpt.get("args", {}).get(name)
    return None if value in (None, "None") else type(default)(value)


def resolve_args(args, ckpt):
    """A copy of ``args`` with the settings a checkpoint records (``SAVED_ARGS``) filled in.

    A setting is None in ``args`` when it was left out. Without a checkpoint (or for a setting it does not
    record) those get their defaults. With one, they come from the checkpoint, and a setting given on the
    command line that differs from the checkpoint's raises ValueError naming every such setting (not for
    ``CHANGEABLE_ARGS``; with --eval-only only frames, model and image size count; momentum only for SGD).
    A given setting is always used as given.
    """
    args = argparse.Namespace(**vars(args))
    conflicts = []
    for name, default in SAVED_ARGS.items():
        given = getattr(args, name)
        saved = saved_setting(ckpt, name, default) if ckpt is not None else None
        if given is None:
            setattr(args, name, default if saved is None else saved)
            continue
        counts = saved is not None and name not in CHANGEABLE_ARGS
        counts = counts and (name in EVAL_ARGS or not args.eval_only)
        if name == "momentum":
            counts = counts and saved_setting(ckpt, "optimizer", "") == "sgd"
        if counts and given != saved:
            conflicts.append(f"--{name.replace('_', '-')} {given} (the checkpoint's is {saved})")
    if conflicts:
        raise ValueError(
            f"--resume {args.resume} was trained with other settings: {'; '.join(conflicts)}. Leave them "
            "out to use the checkpoint's, or start a new run without --resume"
        )
    return args


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


def load_scaler_state(scaler, state):
    """Restore a GradScaler from a checkpoint's 'scaler' entry. A CPU or --no-amp run saved a disabled
    scaler, whose state is empty: an enabled scaler then keeps its fresh state. Returns the scaler."""
    if state and scaler.is_enabled():
        scaler.load_state_dict(state)
    return scaler


def save_checkpoint(path, model, optimizer, scaler, state, epoch, rng, meta):
    """Write a checkpoint atomically: weights of the unwrapped model and everything --resume needs.

    ``rng``: {'world_size': W, 'ranks': list of W ``rng_state`` dicts, by rank}. The learning-rate
    schedule is not saved: --resume rebuilds it from the step count and the new total
    (``train.build_scheduler``); a 'scheduler' entry of earlier checkpoints is ignored.
    """
    ckpt = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
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


def model_from_checkpoint(ckpt, device, channels_last=False):
    """The network a checkpoint describes, with its weights, on ``device`` (``channels_last``: see
    ``build_network``)."""
    norm = ckpt["norm"]
    model = build_network(ckpt["model_name"], ckpt["image_size"], norm["mean"], norm["std"], channels_last)
    model.load_state_dict(ckpt["model"])
    return model.to(device)
