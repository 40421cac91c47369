"""The NumPy FullyConnectedNet beside scikit-learn's MLPClassifier and LogisticRegression, on equal footing.

All three see the identical training and validation features. The two nets train for the same number
of epochs with the same hidden sizes, Adam, learning rate and per-epoch decay, batch size and L2, and
both report the epoch that did best on validation (the Solver keeps it; the MLPClassifier is trained
epoch by epoch with ``partial_fit`` and its best epoch kept too) as the headline, and their last epoch
beside it. Of epochs with equal validation accuracy both keep the earliest (a later epoch must do
strictly better, the Solver's ``>``, as in CS231n and Keras's and Lightning's best checkpoints): when
val_acc reaches 1.0 at epoch 2 and stays there, the kept net is epoch 2's, whose confidences may be
lower than a later epoch's. LogisticRegression has no epochs: it is fit to convergence. Each model is
evaluated per frame, per class, per sequence (majority vote over a clip's frames) and by a confusion
matrix.
"""
import copy
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from fc_training import train_fc
from reports import (
    per_class_accuracy_by_model,
    plot_confusion_matrix,
    plot_training_curves,
    save_figure,
    write_table,
)

NUMPY_NET, MLP, LOGREG = "NumPy FullyConnectedNet", "MLPClassifier", "LogisticRegression"
FILE_KEYS = {NUMPY_NET: "numpy_fc", MLP: "mlp", LOGREG: "logreg"}  # model -> file name part
SELECTION = "best validation epoch"  # how the headline val_acc of the two nets is chosen


def vote_by_clip(clips, y_true, y_pred, num_classes):
    """Per-sequence accuracy: each clip gets the majority of its frames' predictions.

    Inputs:
    - clips: array of shape (N,) of clip ids; y_true, y_pred: int arrays of shape (N,)
    - num_classes: C (ties go to the lower class index)

    Returns a DataFrame with one row per clip: clip, label, frames, predicted, correct.
    """
    table = pd.DataFrame({"clip": clips, "label": y_true, "pred": y_pred})
    rows = [(clip, int(g["label"].iloc[0]), len(g),
             int(np.bincount(g["pred"], minlength=num_classes).argmax()))
            for clip, g in table.groupby("clip", sort=True)]
    out = pd.DataFrame(rows, columns=["clip", "label", "frames", "predicted"])
    out["correct"] = out["label"] == out["predicted"]
    return out


def train_numpy_net(F_train, y_train, F_val, y_val, num_classes, config):
    """Train a float32 FullyConnectedNet with ``fc_training.train_fc``; the Solver keeps the best epoch.

    Inputs:
    - F_train: array of shape (N, D); y_train: int array of shape (N,)
    - F_val: array of shape (M, D); y_val: int array of shape (M,)
    - num_classes: C; config: hidden, update_rule, lr, lr_decay, epochs, batch_size, reg, weight_scale, seed

    Returns the Solver (solver.model holds the best validation epoch's parameters).
    """
    data = {"X_train": F_train, "y_train": y_train, "X_val": F_val, "y_val": y_val}
    iterations_per_epoch = max(len(y_train) // config.batch_size, 1)
    return train_fc(data, list(config.hidden), learning_rate=config.lr, lr_decay=config.lr_decay,
                    batch_size=config.batch_size, weight_scale=config.weight_scale, num_epochs=config.epochs,
                    update_rule=config.update_rule, reg=config.reg, seed=config.seed, num_classes=num_classes,
                    dtype=np.float32, print_every=iterations_per_epoch * max(config.epochs // 5, 1))


def train_mlp(F_train, y_train, F_val, y_val, num_classes, config):
    """MLPClassifier trained like the NumPy net: epoch by epoch, keeping its best validation epoch.

    Same hidden sizes, ReLU, Adam, learning rate (times lr_decay after every epoch, as the Solver does),
    batch size, L2 and number of epochs; one ``partial_fit`` call per epoch (a fresh shuffle each time,
    from a RandomState seeded with config.seed). The L2 terms match per batch: the NumPy net adds
    0.5 * reg * sum(W**2) to every batch's loss, scikit-learn 0.5 * alpha * sum(W**2) / batch_size, so
    alpha = reg * batch_size. (The initial weights differ: Glorot-uniform here, weight_scale * randn there.)

    Returns a tuple of:
    - best: the MLPClassifier as it was after its best validation epoch (the first of equal ones)
    - val_acc: list of validation accuracies, one per epoch (epochs 1 .. config.epochs)
    """
    mlp = MLPClassifier(hidden_layer_sizes=tuple(config.hidden), alpha=config.reg * config.batch_size,
                        batch_size=config.batch_size, learning_rate_init=config.lr,
                        random_state=np.random.RandomState(config.seed))
    classes = np.arange(num_classes)
    best, val_acc = None, []
    for _ in range(config.epochs):
        mlp.partial_fit(F_train, y_train, classes=classes)
        # the Solver's per-epoch decay; scikit-learn has no public one for Adam (tests check this attribute)
        mlp._optimizer.learning_rate_init *= config.lr_decay
        val_acc.append(float(np.mean(mlp.predict(F_val) == y_val)))
        if val_acc[-1] > max(val_acc[:-1], default=-1.0):
            best = copy.deepcopy(mlp)
    return best, val_acc


def fit_logistic_regression(F_train, y_train):
    """LogisticRegression (L-BFGS, up to 2000 iterations) on the features; returns the fitted model."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return LogisticRegression(max_iter=2000).fit(F_train, y_train)


def _row(name, selection, val_acc_history, pred, y_val, train_acc, seconds):
    """One comparison row; val_acc_history[e] is the accuracy after epoch e (NaN where not measured)."""
    best = int(np.nanargmax(val_acc_history))
    return {"model": name, "selection": selection, "epoch": best if selection == SELECTION else None,
            "val_acc": float(np.mean(pred == y_val)), "val_acc_last_epoch": float(val_acc_history[-1]),
            "train_acc": train_acc, "fit_seconds": round(seconds, 2)}


def compare_models(F_train, y_train, F_val, y_val, clips_val, num_classes, config):
    """Train the NumPy net (and the baselines when config.baselines) and evaluate each on validation.

    Inputs:
    - F_train: array of shape (N, D); y_train: int array of shape (N,)
    - F_val: array of shape (M, D); y_val: int array of shape (M,)
    - clips_val: array of shape (M,) of clip ids for the per-sequence vote, or None
    - num_classes: C; config: as in train_numpy_net, plus baselines (bool)

    Returns a tuple of:
    - rows: one dict per model: model, selection ('best validation epoch' or 'fit to convergence'),
      epoch (the selected epoch; 0 is the NumPy net before training), val_acc (at the selected epoch),
      val_acc_last_epoch, train_acc, fit_seconds, and with clips val_sequence_acc and val_sequences
    - predictions: dict model name -> int array of shape (M,), its validation predictions
    - solver: the NumPy net's Solver (histories; solver.model is the selected net)
    """
    start = time.perf_counter()
    solver = train_numpy_net(F_train, y_train, F_val, y_val, num_classes, config)
    seconds = time.perf_counter() - start
    dtype = solver.model.dtype
    predictions = {NUMPY_NET: solver.model.loss(F_val.astype(dtype)).argmax(axis=1)}
    train_acc = float(np.mean(solver.model.loss(F_train.astype(dtype)).argmax(axis=1) == y_train))
    rows = [_row(NUMPY_NET, SELECTION, solver.val_acc_history, predictions[NUMPY_NET], y_val, train_acc,
                 seconds)]
    if config.baselines:
        start = time.perf_counter()
        mlp, val_acc = train_mlp(F_train, y_train, F_val, y_val, num_classes, config)
        predictions[MLP] = mlp.predict(F_val)
        rows.append(_row(MLP, SELECTION, [np.nan, *val_acc], predictions[MLP], y_val,
                         float(mlp.score(F_train, y_train)), time.perf_counter() - start))
        start = time.perf_counter()
        logreg = fit_logistic_regression(F_train, y_train)
        predictions[LOGREG] = logreg.predict(F_val)
        val_acc = float(np.mean(predictions[LOGREG] == y_val))
        rows.append(_row(LOGREG, "fit to convergence", [val_acc], predictions[LOGREG], y_val,
                         float(logreg.score(F_train, y_train)), time.perf_counter() - start))
    if clips_val is not None:
        for row in rows:
            votes = vote_by_clip(clips_val, y_val, predictions[row["model"]], num_classes)
            row["val_sequence_acc"], row["val_sequences"] = float(votes["correct"].mean()), len(votes)
    return rows, predictions, solver


def write_comparison_reports(out, solver, y_val, predictions, clips_val, class_names, comparison):
    """Write the comparison's reports into the run folder out (a pathlib.Path).

    Files: comparison.{csv,md}; per_class_val_accuracy.{csv,md} (one accuracy column per model);
    confusion_matrix_<numpy_fc|mlp|logreg>.png (one per model); curves.png (the NumPy net's Solver);
    per_sequence_val.{csv,md} when there are clips (each clip's label and every model's vote).

    Returns a dict report name -> path(s).
    """
    paths = {"comparison": write_table(comparison, out / "comparison", floatfmt=".4f"),
             "per_class": write_table(per_class_accuracy_by_model(y_val, predictions, class_names),
                                      out / "per_class_val_accuracy"),
             "curves": save_figure(plot_training_curves({"NumPy FC net": solver}), out / "curves.png")}
    for name, pred in predictions.items():
        path = paths[f"confusion_{FILE_KEYS[name]}"] = out / f"confusion_matrix_{FILE_KEYS[name]}.png"
        plot_confusion_matrix(y_val, pred, class_names, path, title=f"{name}, validation (rows: true class)")
    if clips_val is not None:
        names = np.asarray(class_names, dtype=object)
        votes = {name: vote_by_clip(clips_val, y_val, pred, len(class_names))
                 for name, pred in predictions.items()}
        table = votes[NUMPY_NET][["clip", "label", "frames"]].copy()
        table["label"] = names[table["label"]]
        for name, vote in votes.items():
            table[f"{name} vote"] = names[vote["predicted"]]
        paths["sequences"] = write_table(table, out / "per_sequence_val")
    return paths
