"""The key-frame model beside the video-frame model: the course's two-row accuracy table.

    python -m problem4.compare runs/cnn_key runs/cnn_video --data-root data/mds189_sample --out runs/compare

The best checkpoint of each run folder (the key-frame run first, then the video-frame run) is evaluated
on the same frames, the video-frame validation set (what the Kaggle test frames resemble), giving
``comparison.csv``/``.md``: two rows (key-frame model, video-frame model), the 8 movements and overall
as columns. Written beside it:
- ``comparison_own_val.csv``/``.md``: each model evaluated on its own validation set (key frames for the
  key-frame model, the video frames again for the video-frame model);
- ``comparison_baselines.csv``/``.md`` (unless ``--no-baselines``): two plain baselines on the video-frame
  validation set, the majority class and logistic regression on 16x8 grey thumbnails, fitted on a seeded
  subset of at most ``--baseline-samples`` training video frames (default 5,000; 0: all of them, which is
  37,707 real frames to decode).
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import reports
from cli_errors import report_errors
from mds189_constants import MOVEMENTS
from problem4.checkpoints import load_checkpoint, model_from_checkpoint
from problem4.distributed import DistInfo
from problem4.loaders import eval_loader, load_dataset
from problem4.presets import input_shape
from problem4.runtime import select_device
from problem4.train import SEED_RANGE, check_counts, evaluate

COLUMNS = ["model", *MOVEMENTS, "overall"]
THUMBNAIL = (16, 8)  # (H, W) of the baseline's grey thumbnails
RUN_FRAMES = ("key", "video")  # what the two run folders must hold, in this order
COUNTS = {  # option -> (smallest, largest or None, what the smallest means or None): train.check_counts
    "batch_size": (1, None, None),
    "num_workers": (0, None, "load in the main process"),
    "baseline_samples": (0, None, "all training video frames"),
    "seed": (*SEED_RANGE, None),
}


def accuracy_row(name, y_true, y_pred):
    """One table row: name, the 8 movement accuracies, overall."""
    table = reports.per_class_accuracy(y_true, y_pred, MOVEMENTS)
    accuracy = dict(zip(table["class"], table["accuracy"], strict=True))
    return {"model": name, **{c: accuracy[c] for c in COLUMNS[1:]}}


def run_name(ckpt):
    return f"{ckpt['frames']}-frame model ({ckpt['model_name']})"


def compare(run_dirs, args):
    """Evaluate the key-frame run's and the video-frame run's best checkpoints.

    Returns a tuple of DataFrames with columns ``COLUMNS``:
    - on_video: the two models on the video-frame validation set (the course's table)
    - own_val: each model on its own validation set
    - baselines: with ``args.baselines``, the majority class and the thumbnail logistic regression on
      the video-frame validation set (images of the video-frame model's size); else empty
    """
    info = DistInfo()
    device = select_device(args.device, info)
    checkpoints = [load_checkpoint(Path(run) / "checkpoint_best.pt") for run in run_dirs]
    for run, ckpt, frames in zip(run_dirs, checkpoints, RUN_FRAMES, strict=True):
        if ckpt["frames"] != frames:
            raise ValueError(
                f"{run} holds a model trained on {ckpt['frames']} frames; pass the key-frame run first, "
                "then the video-frame run"
            )
    datasets = {}  # (frames, split, shape) -> dataset: each is decoded once

    def dataset(frames, split, shape, limit=0):
        if (frames, split, shape) not in datasets:
            datasets[frames, split, shape] = load_dataset(args, frames, split, shape, info, limit)
        return datasets[frames, split, shape]

    on_video, own_val = [], []
    for ckpt in checkpoints:
        model = model_from_checkpoint(ckpt, device)
        shape = input_shape(ckpt["image_size"])
        rows = {}
        for frames in dict.fromkeys(("video", ckpt["frames"])):
            loader = eval_loader(dataset(frames, "val", shape), args, info, device.type == "cuda")
            _, y_true, y_pred = evaluate(model, loader, device, info)
            rows[frames] = (y_true, y_pred)
        on_video.append(accuracy_row(run_name(ckpt), *rows["video"]))
        own_val.append(accuracy_row(f"{run_name(ckpt)} on {ckpt['frames']}-frame val", *rows[ckpt["frames"]]))
    baselines = []
    if args.baselines:
        shape = input_shape(checkpoints[-1]["image_size"])
        train_set = dataset("video", "train", shape, args.baseline_samples)
        baselines = baseline_rows(train_set, dataset("video", "val", shape))
    return tuple(pd.DataFrame(rows, columns=COLUMNS) for rows in (on_video, own_val, baselines))


def thumbnails(dataset):
    """Grey 16x8 thumbnails of a cached dataset's images as features, float64 of shape (N, 128)."""
    grey = dataset.images.float().mean(dim=1, keepdim=True)  # (N, 1, H, W)
    return F.adaptive_avg_pool2d(grey, THUMBNAIL).flatten(1).double().numpy()


def baseline_rows(train_set, val_set):
    """Accuracy rows of the majority class and of logistic regression on thumbnails (train -> val).

    Inputs:
    - train_set, val_set: Mds189 datasets of the video frames with cached images (3, H, W)
    """
    y_train, y_val = np.asarray(train_set.targets), np.asarray(val_set.targets)
    majority = np.bincount(y_train, minlength=len(MOVEMENTS)).argmax()
    logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    logistic.fit(thumbnails(train_set), y_train)
    predictions = {
        f"majority class ({MOVEMENTS[majority]})": np.full_like(y_val, majority),
        "logistic regression on 16x8 grey thumbnails": logistic.predict(thumbnails(val_set)),
    }
    return [accuracy_row(name, y_val, y_pred) for name, y_pred in predictions.items()]


def get_args_parser():
    parser = argparse.ArgumentParser(
        description="The key-frame CNN beside the video-frame CNN on the video-frame validation set."
    )
    parser.add_argument("key_run", type=Path, help="run folder of train.py --frames key")
    parser.add_argument("video_run", type=Path, help="run folder of train.py --frames video")
    parser.add_argument("--data-root", type=Path, required=True, help="folder holding dataloader_files/")
    parser.add_argument(
        "--out", type=Path, default=Path("runs/compare"), help="output folder (default runs/compare)"
    )
    parser.add_argument("--batch-size", type=int, default=256, help="evaluation batch size (default 256)")
    parser.add_argument(
        "--num-workers", type=int, default=0, help="DataLoader workers (default 0: load in the main process)"
    )
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help="decoded-image cache of train.py, if any"
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
    parser.add_argument(
        "--baselines",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also write comparison_baselines (majority class, thumbnail logistic regression; default on)",
    )
    parser.add_argument(
        "--baseline-samples",
        type=int,
        default=5000,
        help="seeded subset of training video frames the baselines are fitted on (default 5000; 0: all)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the baselines' subset (0 to 2**32 - 1; default 0)"
    )
    parser.set_defaults(cache=True)
    return parser


def main(argv=None):
    args = get_args_parser().parse_args(argv)
    check_counts(args, COUNTS)
    on_video, own_val, baselines = compare([args.key_run, args.video_run], args)
    reports.write_table(on_video, args.out / "comparison")
    reports.write_table(own_val, args.out / "comparison_own_val")
    print("Accuracy on the video-frame validation set\n" + on_video.to_markdown(index=False, floatfmt=".3f"))
    print(
        "\nAccuracy on each model's own validation set\n" + own_val.to_markdown(index=False, floatfmt=".3f")
    )
    if args.baselines:
        reports.write_table(baselines, args.out / "comparison_baselines")
        print(
            "\nBaselines on the video-frame validation set\n"
            + baselines.to_markdown(index=False, floatfmt=".3f")
        )


if __name__ == "__main__":
    sys.exit(report_errors("problem4.compare", main))
