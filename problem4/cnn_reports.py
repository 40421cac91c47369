"""CNN-specific outputs: loss curves against steps, a gallery of misclassified frames, the Kaggle submission,
and ``write_reports``, which writes them with the accuracy table and confusion matrix into a run folder.

Per-class accuracy tables and the confusion matrix come from the top-level ``reports`` module.
"""

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from atomic import atomic_open
from mds189_constants import MOVEMENTS
from mds189_files import FormatError, check_format_file
from reports import per_class_accuracy, plot_confusion_matrix, save_figure, write_table


def plot_loss_curves(log, path, title="Loss"):
    """Training and validation loss against the optimisation step, as a PNG.

    Inputs:
    - log: DataFrame with columns step, split ('train' or 'val') and loss
    - path: PNG file to write
    """
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    for split, style in (("train", "-"), ("val", "o-")):
        rows = log[log["split"] == split]
        if len(rows):
            ax.plot(rows["step"], rows["loss"], style, label=split, markersize=4)
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    save_figure(fig, path)


def plot_error_gallery(images, true_names, pred_names, path, ncols=8):
    """Misclassified frames with their true and predicted labels, as a PNG.

    Inputs:
    - images: list of K uint8 tensors of shape (3, H, W)
    - true_names, pred_names: lists of K class names
    - path: PNG file to write
    """
    if not len(images) == len(true_names) == len(pred_names):
        raise ValueError(
            f"{len(images)} images but {len(true_names)} true and {len(pred_names)} predicted labels"
        )
    k = max(len(images), 1)
    ncols = min(ncols, k)
    nrows = math.ceil(k / ncols)
    fig = Figure(figsize=(1.6 * ncols, 3.0 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, true, pred in zip(axes.flat, images, true_names, pred_names, strict=False):
        ax.imshow(image.permute(1, 2, 0).numpy())
        ax.set_title(f"true {true}\npred {pred}", fontsize=7)
    if not images:
        axes[0, 0].text(0.5, 0.5, "no errors", ha="center", va="center")
    save_figure(fig, path)


def check_submission_format(ids, format_file):
    """Check ``kaggle_submission_format.csv`` against the test list (run before training with --predict).

    Inputs:
    - ids: list of N test frame file names, in test-list order
    - format_file: the course's format file (header Id,Category; one row per test frame, in order)

    Raises ``mds189_files.FormatError`` (a ValueError) with the problems ``mds189_files.check_format_file``
    finds (the checker's messages: the header, or the first row whose Id differs: out of order, missing,
    one too many). The Category column is not checked: a submission takes only the Ids from the file.
    """
    problems = check_format_file(format_file, ids)
    if problems:
        raise FormatError("\n".join(problems))


def check_submission(ids, categories, format_file):
    """Check predictions against ``kaggle_submission_format.csv`` before anything is written.

    Inputs:
    - ids: list of N test frame file names, in test-list order
    - categories: list of N predicted movement names
    - format_file: the course's format file (header Id,Category; one row per test frame, in order)

    Raises ValueError naming the first problem: the prediction count, the format file
    (``check_submission_format``), or a name that is not a movement.
    """
    if len(ids) != len(categories):
        raise ValueError(f"{len(ids)} Ids but {len(categories)} predictions")
    check_submission_format(ids, format_file)
    for row, name in enumerate(categories, start=2):
        if name not in MOVEMENTS:
            raise ValueError(f"submission line {row}: {name!r} is not a movement ({', '.join(MOVEMENTS)})")


def write_submission(ids, categories, path, format_file):
    """Write ``submission.csv`` (header Id,Category; movement names) after ``check_submission``."""
    check_submission(ids, categories, format_file)
    with atomic_open(path) as f:
        pd.DataFrame({"Id": list(ids), "Category": list(categories)}).to_csv(f, index=False)
    return path


def write_reports(out, y_true, y_pred, dataset, log, title, seed, gallery_size):
    """Accuracy table, confusion matrix, error gallery and loss curves of a run (rank 0 only)."""
    y_true, y_pred = y_true.numpy(), y_pred.numpy()
    table = per_class_accuracy(y_true, y_pred, MOVEMENTS)
    write_table(table, out / "accuracy")
    plot_confusion_matrix(
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
