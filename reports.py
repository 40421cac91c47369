"""Evaluation reports shared by the keypoint networks and the problem4 CNNs.

Pure functions of labels and predictions (class indices into a list of class names); every file is
written atomically. Tables go to CSV and Markdown, figures to PNG. Figures are built as
``matplotlib.figure.Figure`` without pyplot, so importing this module never switches a notebook's backend.
"""
import io
import sys

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix

from atomic import atomic_open


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


def per_class_accuracy_by_model(y_true, predictions, class_names):
    """Per-class accuracy of several models on the same examples, side by side.

    Inputs:
    - y_true: integer array of shape (N,), class indices into class_names
    - predictions: dict model name -> integer array of shape (N,) of predicted class indices
    - class_names: sequence of C names

    Returns a DataFrame with C + 1 rows (the classes, then 'overall') and the columns class, n and one
    accuracy column per model, named after it (see per_class_accuracy).
    """
    if not predictions:
        raise ValueError("per_class_accuracy_by_model: no predictions given")
    tables = {name: per_class_accuracy(y_true, y_pred, class_names) for name, y_pred in predictions.items()}
    first = next(iter(tables.values()))
    return pd.concat([first[["class", "n"]]] + [t["accuracy"].rename(name) for name, t in tables.items()],
                     axis=1)


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
    """Save a matplotlib figure as PNG atomically (and close it if pyplot made it)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:  # a pyplot figure stays registered (and in memory) until closed
        pyplot.close(fig)
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
    fig = Figure(figsize=(size, size))
    ax = fig.subplots()
    ConfusionMatrixDisplay(cm, display_labels=list(class_names)).plot(
        ax=ax, cmap="Blues", values_format=".2f", colorbar=False, xticks_rotation=45)
    for label in ax.get_xticklabels():  # long names end under their column instead of overlapping
        label.set(horizontalalignment="right", rotation_mode="anchor")
    ax.set_title(title)
    save_figure(fig, path)
    return cm


def plot_training_curves(solvers):
    """Training loss per iteration and train/validation accuracy per epoch of one or more Solvers.

    Inputs:
    - solvers: dict name -> trained Solver (with loss_history, train_acc_history, val_acc_history)

    Returns a Figure with two axes (loss, accuracy).
    """
    fig = Figure(figsize=(12, 4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    for i, (name, solver) in enumerate(solvers.items()):
        color = f"C{i % 10}"
        ax_loss.plot(solver.loss_history, lw=0.6, color=color, label=name)
        ax_acc.plot(solver.train_acc_history, "o--", ms=3, color=color, label=f"{name} train")
        ax_acc.plot(solver.val_acc_history, "o-", ms=3, color=color, label=f"{name} val")
    ax_loss.set(xlabel="iteration", ylabel="training loss", title="Loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Accuracy", ylim=(0, 1.02))
    for ax in (ax_loss, ax_acc):
        ax.legend(fontsize=7)
    return fig
