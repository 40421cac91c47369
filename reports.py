"""Evaluation reports shared by the keypoint networks and the problem4 CNNs.

Pure functions of labels and predictions (class indices into a list of class names); every file is
written atomically. Tables go to CSV and Markdown, figures to PNG.
"""
import io

import matplotlib

matplotlib.use("Agg")  # files only: never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix  # noqa: E402

from atomic import atomic_open  # noqa: E402


def _check_labels(y_true, y_pred, class_names):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(
            f"y_true and y_pred must be 1-D of equal length, got {y_true.shape} and {y_pred.shape}")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.min() < 0 or y.max() >= len(class_names)):
            raise ValueError(f"{name} holds class indices outside 0..{len(class_names) - 1}")
    return y_true, y_pred


def per_class_accuracy(y_true, y_pred, class_names):
    """Accuracy (recall) of each class and overall.

    Inputs:
    - y_true, y_pred: integer arrays of shape (N,), class indices into class_names
    - class_names: sequence of C names

    Returns a DataFrame with C + 1 rows (the classes, then 'overall') and the columns
    class, n, correct, accuracy. A class with no examples has accuracy NaN.
    """
    y_true, y_pred = _check_labels(y_true, y_pred, class_names)
    n = np.bincount(y_true, minlength=len(class_names))
    correct = np.bincount(y_true[y_true == y_pred], minlength=len(class_names))
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = correct / n
    table = pd.DataFrame({"class": list(class_names), "n": n, "correct": correct, "accuracy": acc})
    overall = pd.DataFrame({"class": ["overall"], "n": [n.sum()], "correct": [correct.sum()],
                            "accuracy": [correct.sum() / n.sum() if n.sum() else np.nan]})
    return pd.concat([table, overall], ignore_index=True)


def write_table(table, path_stem, floatfmt=".3f"):
    """Write a DataFrame as ``<path_stem>.csv`` and ``<path_stem>.md``; returns the two paths."""
    csv_path, md_path = f"{path_stem}.csv", f"{path_stem}.md"
    with atomic_open(csv_path) as f:
        table.to_csv(f, index=False)
    with atomic_open(md_path) as f:
        f.write(table.to_markdown(index=False, floatfmt=floatfmt) + "\n")
    return csv_path, md_path


def print_table(table, path_stem=None, floatfmt=".2f"):
    """Print a DataFrame as Markdown; with path_stem, also write it as CSV and Markdown (write_table)."""
    print(table.to_markdown(index=False, floatfmt=floatfmt))
    if path_stem:
        write_table(table, path_stem, floatfmt=floatfmt)


def save_figure(fig, path, dpi=120):
    """Save a matplotlib figure as PNG atomically and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    with atomic_open(path, "wb") as f:
        f.write(buf.getvalue())
    return path


def plot_confusion_matrix(y_true, y_pred, class_names, path, title="Confusion matrix (rows: true class)"):
    """Row-normalised confusion matrix as a PNG (each row sums to 1: the fraction of that class).

    Returns the normalised matrix, shape (C, C).
    """
    y_true, y_pred = _check_labels(y_true, y_pred, class_names)
    labels = np.arange(len(class_names))
    with np.errstate(invalid="ignore", divide="ignore"):
        cm = confusion_matrix(y_true, y_pred, labels=labels, normalize="true")
    cm = np.nan_to_num(cm)
    size = max(5.0, 0.55 * len(class_names) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ConfusionMatrixDisplay(cm, display_labels=list(class_names)).plot(
        ax=ax, cmap="Blues", values_format=".2f", colorbar=False, xticks_rotation=45)
    ax.set_title(title)
    save_figure(fig, path)
    return cm
