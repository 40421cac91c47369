"""The key-frame model beside the video-frame model: the course's two-row accuracy table.

    python -m problem4.compare runs/cnn_key runs/cnn_video --data-root data/mds189_sample --out runs/compare

Each run folder's best checkpoint is evaluated on the same data, the video-frame validation set (the
frames the Kaggle test resembles), giving ``comparison.csv``/``.md``: one row per model, the 8
movements and overall as columns. ``comparison_own_val.csv``/``.md`` puts beside it each model's
accuracy on its own validation set (key frames for the key-frame model), read from its run folder.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import reports
from cli_errors import report_errors
from mds189_constants import MOVEMENTS
from problem4.distributed import DistInfo
from problem4.presets import input_shape
from problem4.train import eval_loader, evaluate, load_checkpoint, load_dataset, model_from_checkpoint

COLUMNS = ["model", *MOVEMENTS, "overall"]
THUMBNAIL = (16, 8)  # (H, W) of the baseline's grey thumbnails


def accuracy_row(name, table):
    """One table row from a ``reports.per_class_accuracy`` table: name, 8 movement accuracies, overall."""
    accuracy = dict(zip(table["class"], table["accuracy"], strict=True))
    return {"model": name, **{c: accuracy[c] for c in COLUMNS[1:]}}


def run_name(ckpt):
    return f"{ckpt['frames']}-frame model ({ckpt['model_name']})"


def compare(run_dirs, args):
    """Evaluate each run's best checkpoint on the video-frame validation set.

    Returns a tuple of:
    - on_video: DataFrame, one row per run and then, with ``args.baselines``, the two baselines (on
      images of the last run's size), columns ``COLUMNS`` (accuracy on video-frame validation)
    - own_val: DataFrame, the same rows from each run's own accuracy.csv
    """
    device = torch.device(
        "cuda"
        if args.device == "auto" and torch.cuda.is_available()
        else "cpu"
        if args.device == "auto"
        else args.device
    )
    info = DistInfo()
    on_video, own_val = [], []
    for run in map(Path, run_dirs):
        ckpt = load_checkpoint(run / "checkpoint_best.pt")
        model = model_from_checkpoint(ckpt, device)
        dataset = load_dataset(args, "video", "val", input_shape(ckpt["image_size"]), info)
        _, y_true, y_pred = evaluate(
            model, eval_loader(dataset, args, info, device.type == "cuda"), device, info
        )
        on_video.append(accuracy_row(run_name(ckpt), reports.per_class_accuracy(y_true, y_pred, MOVEMENTS)))
        own_val.append(
            accuracy_row(f"{run_name(ckpt)} on {ckpt['frames']}-frame val", pd.read_csv(run / "accuracy.csv"))
        )
    if args.baselines:
        train_set = load_dataset(args, "video", "train", dataset.size, info)
        on_video += baseline_rows(train_set, dataset)
    return pd.DataFrame(on_video, columns=COLUMNS), pd.DataFrame(own_val, columns=COLUMNS)


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
    return [accuracy_row(name, reports.per_class_accuracy(y_val, y_pred, MOVEMENTS))
            for name, y_pred in predictions.items()]


def get_args_parser():
    parser = argparse.ArgumentParser(
        description="Compare CNN runs (e.g. key frames vs video frames) on the video-frame validation set."
    )
    parser.add_argument("runs", nargs="+", type=Path, help="run folders of train.py (key-frame run first)")
    parser.add_argument("--data-root", type=Path, required=True, help="folder holding dataloader_files/")
    parser.add_argument(
        "--out", type=Path, default=Path("runs/compare"), help="output folder (default runs/compare)"
    )
    parser.add_argument("--batch-size", type=int, default=256, help="evaluation batch size (default 256)")
    parser.add_argument("--num-workers", type=int, default=0, help="DataLoader workers (default 0)")
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help="decoded-image cache of train.py, if any"
    )
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda (default auto)")
    parser.add_argument(
        "--baselines",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="add the majority-class and thumbnail logistic-regression rows (default on)",
    )
    parser.set_defaults(cache=True, seed=0)
    return parser


def main(argv=None):
    args = get_args_parser().parse_args(argv)
    on_video, own_val = compare(args.runs, args)
    reports.write_table(on_video, args.out / "comparison")
    reports.write_table(own_val, args.out / "comparison_own_val")
    print("Accuracy on the video-frame validation set\n" + on_video.to_markdown(index=False, floatfmt=".3f"))
    print(
        "\nAccuracy on each model's own validation set\n" + own_val.to_markdown(index=False, floatfmt=".3f")
    )


if __name__ == "__main__":
    sys.exit(report_errors("problem4.compare", main))
