"""Train the NumPy FullyConnectedNet on keypoints and compare it with scikit-learn on the same split.

The pipeline: poses (a keypoint table of any skeleton, or MDS189) -> an honest split (by subject, else by
sequence, else by pseudo-clips or at random) -> features (``data_utils.normalize_poses``, then
standardised with training statistics) -> the NumPy net, MLPClassifier and LogisticRegression on the
identical features, evaluated side by side (``keypoint_compare``) -> reports in a run folder and a model
file that ``predict`` reads back.
"""
import contextlib
import io
import math
import numbers
import pickle
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, train_test_split
from threadpoolctl import threadpool_limits

import optim
from atomic import atomic_open
from data_utils import has_body, load_mds189_all, normalize_poses
from fc_training import architecture_of, model_from
from keypoint_compare import SELECTION, compare_models, write_comparison_reports
from keypoint_table import clean_keypoints
from mds189_constants import MOVEMENTS
from skeletons import keep_skeleton_joints

MODEL_FORMAT = "mds189-keypoint-fc/1"
UPDATE_RULES = tuple(optim.DEFAULTS)  # the built-in update rules: sgd, sgd_momentum, rmsprop, adam
SELECTED_EPOCH = "the earliest of equal ones"  # which epoch the nets keep when validation ties

# What each numeric TrainConfig field accepts: (integer?, test, the rule in words).
_LIMITS = {
    "hidden": (True, lambda v: v >= 1, "at least 1"),  # each layer size
    "lr": (False, lambda v: v > 0, "> 0"),
    "lr_decay": (False, lambda v: v > 0, "> 0 (1: no decay)"),
    "epochs": (True, lambda v: v >= 1, "at least 1"),
    "batch_size": (True, lambda v: v >= 1, "at least 1"),
    "reg": (False, lambda v: v >= 0, ">= 0"),
    "weight_scale": (False, lambda v: v > 0, "> 0"),
    "val_fraction": (False, lambda v: 0 < v <= 0.5, "in (0, 0.5]"),
    "pseudo_clips": (True, lambda v: v >= 0, "0 (off) or a number of rows"),
    "seed": (True, lambda v: 0 <= v <= 2**32 - 1, "in [0, 2**32 - 1]"),
}


def _shown(value):
    """A number as a user would type it: -1.0 -> '-1', 0.002 -> '0.002', nan -> 'nan'."""
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        text = repr(float(value))
        return text[:-2] if text.endswith(".0") else text
    return repr(value)


def _value_problem(value, integer, test, rule):
    """What is wrong with one value under a _LIMITS entry, as 'must be ...', or None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral if integer else numbers.Real):
        return f"must be {'an integer' if integer else 'a number'} {rule}"
    if not math.isfinite(value):
        return f"must be a finite number {rule}"
    return None if test(value) else f"must be {rule}"


def check_train_values(values, name_of=str):
    """Raise ValueError for the first hyper-parameter outside what training accepts.

    Checked before any data are read, so a bad value stops a run at once instead of after loading (or,
    with the baselines, after training the NumPy net).

    Inputs:
    - values: dict TrainConfig field -> value (any subset of the fields)
    - name_of: how a field is named in the message (the command line passes its option, '--lr')

    The message is one line, e.g. '--lr must be > 0, got -1'.
    """
    for field, value in values.items():
        if field == "update_rule" and value not in UPDATE_RULES:
            raise ValueError(f"{name_of(field)} must be one of {', '.join(UPDATE_RULES)}, got {value!r}")
        if field not in _LIMITS:
            continue
        if field == "hidden":
            if not isinstance(value, (list, tuple, np.ndarray)):
                raise ValueError(f"{name_of(field)} must be a list of layer sizes, got {value!r}")
            sizes = list(value)
            problems = [_value_problem(size, *_LIMITS[field]) for size in sizes]
            if any(problems):
                raise ValueError(f"{name_of(field)} sizes {next(filter(None, problems))}, got "
                                 f"{' '.join(_shown(size) for size in sizes)}")
            continue
        problem = _value_problem(value, *_LIMITS[field])
        if problem:
            raise ValueError(f"{name_of(field)} {problem}, got {_shown(value)}")


@dataclass
class Poses:
    """Labelled BODY_25 poses with what the split and the per-sequence vote need.

    - X: float array of shape (N, 75); y: int array of shape (N,), indices into class_names
    - subject, sequence: arrays of shape (N,) or None; skeleton: the source skeleton's name
    - split: optional fixed (train_idx, val_idx, description), e.g. the MDS189 course split
    """
    X: np.ndarray
    y: np.ndarray
    class_names: list
    subject: np.ndarray = None
    sequence: np.ndarray = None
    skeleton: str = "body25"
    split: tuple = None


@dataclass
class TrainConfig:
    """Hyper-parameters of the NumPy net (MLPClassifier reuses all but weight_scale; see keypoint_compare).

    Construction checks them (``check_train_values``): hidden sizes, epochs and batch_size at least 1,
    lr, lr_decay and weight_scale > 0, reg >= 0, val_fraction in (0, 0.5], pseudo_clips >= 0, seed in
    [0, 2**32 - 1], update_rule one of UPDATE_RULES; a bad value raises ValueError naming the field.
    """
    hidden: tuple = (160, 40)
    update_rule: str = "adam"
    lr: float = 2e-3
    lr_decay: float = 0.95
    epochs: int = 40
    batch_size: int = 64
    reg: float = 1e-4
    weight_scale: float = 5e-2
    val_fraction: float = 0.25
    pseudo_clips: int = 0
    seed: int = 0
    baselines: bool = True

    def __post_init__(self):
        check_train_values(vars(self))


def class_names_of(labels):
    """Class list of a label array: MDS189 movements in MOVEMENTS order if all labels are movements,
    else the sorted distinct labels."""
    present = set(labels)
    if present <= set(MOVEMENTS):
        return [m for m in MOVEMENTS if m in present]
    return sorted(present)


def poses_from_arrays(X, labels, meta, skeleton):
    """Poses from the output of ``keypoint_table.split_table`` (labels are strings)."""
    class_names = class_names_of(labels)
    if len(class_names) < 2:
        raise ValueError(f"need at least 2 classes to train, found {class_names}")
    index = {name: i for i, name in enumerate(class_names)}
    column = {name: meta[name].astype(str).to_numpy() if name in meta.columns else None
              for name in ("subject", "sequence")}
    return Poses(X, np.array([index[s] for s in labels]), class_names, column["subject"],
                 column["sequence"], skeleton)


def _group_split(y, groups, val_fraction, seed):
    """First fold of a seeded StratifiedGroupKFold with k = round(1 / val_fraction) folds (at most one
    per group): about 1/k of the groups validate (0.25 -> 1/4, 0.3 -> 1/3, 0.5 -> 1/2)."""
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise ValueError(f"cannot split {n_groups} group into train and validation: need at least 2")
    n_splits = int(min(round(1 / val_fraction), n_groups))
    with warnings.catch_warnings():  # "The least populated class in y has only ... members" is expected
        warnings.simplefilter("ignore", UserWarning)
        folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        train_idx, val_idx = next(folds.split(np.zeros(len(y)), y, groups))
    return train_idx, val_idx


def pseudo_clip_ids(labels, rows_per_clip):
    """Clip ids for tables without subject or sequence: runs of consecutive rows of one label.

    Consecutive webcam frames are near-duplicates (in body25_posekit, neighbouring rows of a class are
    about 10 times closer than random pairs), so a split by runs of rows leaks far less than a split
    by single rows.

    Inputs:
    - labels: array of shape (N,) (class names or indices), rows in recording order
    - rows_per_clip: number of consecutive rows of one label per clip

    Returns an array of shape (N,) of strings '<label>:<clip number>'.
    """
    labels = np.asarray(labels)
    ids = np.empty(len(labels), dtype=object)
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        ids[rows] = [f"{c}:{k // rows_per_clip}" for k in range(len(rows))]
    return ids


def split_poses(poses, val_fraction=0.25, seed=0, pseudo_clips=0):
    """Split poses into training and validation rows without leaking a person or a clip.

    By subject when there are subjects (no person on both sides), else by sequence, else by pseudo-clips
    of ``pseudo_clips`` consecutive rows per class when asked, else at random (stratified) with a warning.
    Group splits hold out the first fold of a seeded StratifiedGroupKFold with k = round(1 / val_fraction)
    folds, i.e. about 1/k of the groups (0.3 holds out a third); a random split holds out val_fraction of
    the rows. A fixed split (poses.split, e.g. MDS189's course split) ignores val_fraction and seed.

    Inputs:
    - poses: Poses; val_fraction: in (0, 0.5]; seed: seeds the split; pseudo_clips: rows per pseudo-clip

    Returns a tuple of:
    - train_idx, val_idx: int arrays of row indices
    - clips: array of shape (N,) with each row's clip id for the per-sequence vote, or None; a clip is
      one subject's (when there are subjects) sequence's frames of one label: '<subject>|<sequence>|<label>'
    - description: one line saying how the split was made
    """
    if not 0 < val_fraction <= 0.5:
        raise ValueError(f"the validation fraction must lie in (0, 0.5], got {val_fraction}")
    y = poses.y
    names = np.array(poses.class_names, dtype=object)[y]
    clips = None
    if poses.sequence is not None:  # sequence names may repeat across people ('take1'): keep the subject
        parts = (poses.sequence, names) if poses.subject is None else (poses.subject, poses.sequence, names)
        clips = np.array(["|".join(map(str, ids)) for ids in zip(*parts, strict=True)], dtype=object)
    elif pseudo_clips > 0:
        clips = pseudo_clip_ids(names, pseudo_clips)
    if poses.split is not None:
        return (*poses.split[:2], clips, poses.split[2])
    for groups, what in ((poses.subject, "subject"), (poses.sequence, "sequence"),
                         (clips if pseudo_clips > 0 else None, f"pseudo-clip of {pseudo_clips} rows")):
        if groups is not None:
            train_idx, val_idx = _group_split(y, groups, val_fraction, seed)
            description = (f"by {what}: {len(np.unique(groups[train_idx]))} train and "
                           f"{len(np.unique(groups[val_idx]))} validation groups, none on both sides")
            return train_idx, val_idx, clips, description
    warnings.warn("the table has no subject or sequence column: splitting frames at random, so "
                  "near-identical frames of one recording land on both sides and validation accuracy is "
                  "optimistic (add a subject or sequence column, or use --pseudo-clips)", stacklevel=2)
    train_idx, val_idx = train_test_split(np.arange(len(y)), test_size=val_fraction, stratify=y,
                                          random_state=seed)
    return np.sort(train_idx), np.sort(val_idx), clips, "random stratified frames (may leak)"


def pose_features(X, mean=None, std=None):
    """Features of poses: normalize_poses (body-centred, body-scaled; missing joints zero), standardised.

    Poses without a body (``data_utils.has_body``: fewer than two distinct visible joints) cannot be
    normalised: their features are zero before standardisation (they are still classified, never
    dropped or crashed on).

    Inputs:
    - X: array of shape (N, 75), BODY_25 keypoints
    - mean, std: arrays of shape (75,) from the training rows; None computes them from X

    Returns a tuple of:
    - F: float64 array of shape (N, 75)
    - mean, std: arrays of shape (75,) (constant features get std 1)
    """
    F = np.zeros((len(X), X.shape[1]))
    body = has_body(X)
    F[body] = normalize_poses(X[body])
    if mean is None:
        mean, std = F.mean(axis=0), F.std(axis=0)
        std = np.where(std > 1e-8, std, 1.0)
    return (F - mean) / std, mean, std


class _Tee(io.TextIOBase):
    """A text stream that writes to several streams (the console and the run's log)."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, text):
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self):
        for stream in self.streams:
            stream.flush()


def run_training(poses, out_dir, config, source=""):
    """Split, train the NumPy net and the baselines, and write every report into out_dir.

    Writes log.txt, model.pkl and the reports of ``keypoint_compare.write_comparison_reports``
    (comparison, per-class accuracy of every model, one confusion matrix per model, curves, per-sequence
    votes when there are clips).

    Inputs:
    - poses: Poses; out_dir: run folder (created); config: TrainConfig; source: text for the log

    Returns a dict with the comparison rows (see compare_models), the split description and the paths.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    log = io.StringIO()
    # One BLAS thread: on these tiny matrices more threads only add overhead (on a busy 2-core machine
    # a (64, 75) x (75, 160) batch took 0.4 ms with one thread and 4-13 ms with two).
    with contextlib.redirect_stdout(_Tee(sys.stdout, log)), threadpool_limits(limits=1, user_api="blas"):
        train_idx, val_idx, clips, how = split_poses(poses, config.val_fraction, config.seed,
                                                     config.pseudo_clips)
        print(f"data: {source} ({len(poses.y)} poses, {len(poses.class_names)} classes, "
              f"skeleton {poses.skeleton})")
        print(f"split: {how}; {len(train_idx)} train / {len(val_idx)} validation poses")
        F_train, mean, std = pose_features(poses.X[train_idx])
        F_val, _, _ = pose_features(poses.X[val_idx], mean, std)
        y_val = poses.y[val_idx]
        clips_val = None if clips is None else clips[val_idx]
        print(f"NumPy FullyConnectedNet {list(config.hidden)}, {config.update_rule}, lr {config.lr} "
              f"(x{config.lr_decay} per epoch), {config.epochs} epochs, batch {config.batch_size}, "
              f"reg {config.reg}, seed {config.seed}")
        if config.baselines:
            print(f"selection: val_acc is each net's {SELECTION} (the NumPy net's Solver and "
                  f"MLPClassifier, trained epoch by epoch for the same {config.epochs} epochs, both keep "
                  "it); val_acc_last_epoch is their last epoch's; LogisticRegression is fit to convergence")
        rows, predictions, solver = compare_models(
            F_train, poses.y[train_idx], F_val, y_val, clips_val, len(poses.class_names), config)
        for row in rows:
            if row["selection"] == SELECTION:
                before = "; epoch 0 is the net before training" if row["epoch"] == 0 else ""
                print(f"{row['model']}: best validation epoch {row['epoch']} of {config.epochs} "
                      f"({SELECTED_EPOCH}{before}), val_acc {row['val_acc']:.4f}")
        comparison = pd.DataFrame(rows).astype({"epoch": "Int64"})  # LogisticRegression has none
        print("\n" + comparison.to_markdown(index=False, floatfmt=".4f"))

    paths = {"log": out / "log.txt", "model": out / "model.pkl"}
    with atomic_open(paths["log"]) as f:
        f.write(log.getvalue())
    paths.update(write_comparison_reports(out, solver, y_val, predictions, clips_val, poses.class_names,
                                          comparison))
    saved = {"format": MODEL_FORMAT, "architecture": architecture_of(solver.model),
             "params": solver.model.params,
             "class_names": list(poses.class_names), "feature_mean": mean, "feature_std": std,
             "skeleton": poses.skeleton, "features": "data_utils.normalize_poses, then standardised",
             "split": how}
    with atomic_open(paths["model"], "wb") as f:
        pickle.dump(saved, f)
    return {"comparison": rows, "split": how, "paths": paths}


def load_model(path):
    """Read a model saved by run_training; raises ValueError naming the file if it is not one.

    The message says what the file should be (a train-keypoints run folder's model.pkl) and, where it is
    plain, what the file is instead (empty, a folder, a zip archive such as a PyTorch checkpoint).
    """
    def not_a_model(what=""):
        return ValueError(f"{path}: not a keypoint model saved by train-keypoints (model.pkl in its run "
                          f"folder){what}")

    if Path(path).is_dir():
        raise not_a_model("; this is a folder")
    try:
        with open(path, "rb") as f:
            head = f.read(4)
            f.seek(0)
            saved = pickle.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f"no such model file: {path}") from None
    except OSError:
        raise
    except ModuleNotFoundError as err:  # e.g. a model.pkl from a newer NumPy: say which module is missing
        raise ValueError(f"{path}: cannot be loaded: it needs the module {err.name!r}, which this Python "
                         "lacks (saved with other library versions, or not a keypoint model)") from None
    except Exception:  # whatever else unpickling another file raises (pickle's messages are jargon)
        what = ("; the file is empty" if not head else
                "; this is a zip archive, as PyTorch checkpoints are" if head == b"PK\x03\x04" else "")
        raise not_a_model(what) from None
    if not isinstance(saved, dict) or saved.get("format") != MODEL_FORMAT:
        raise not_a_model()
    return saved


def predict(saved, X):
    """Labels of poses under a saved model.

    Inputs:
    - saved: dict from load_model; X: array of shape (N, 75), BODY_25 keypoints, raw or cleaned
      (missing joints: c <= 0 or NaN/inf, as in keypoint_table.clean_keypoints; joints the model's
      skeleton lacks, e.g. COCO-17's feet, are ignored)

    Returns a tuple of:
    - labels: list of N class names
    - confidence: array of shape (N,), the softmax probability of each predicted class
    """
    X = keep_skeleton_joints(clean_keypoints(X), saved["skeleton"])  # only the joints trained on
    F, _, _ = pose_features(X, saved["feature_mean"], saved["feature_std"])
    model = model_from(saved["architecture"], saved["params"])
    scores = np.asarray(model.loss(F.astype(model.dtype)), dtype=np.float64)
    scores -= scores.max(axis=1, keepdims=True)
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    best = probs.argmax(axis=1)
    return [saved["class_names"][i] for i in best], probs[np.arange(len(best)), best]


def load_mds189_poses(root, aligned=False):
    """MDS189 key-frame poses with the course's subject split (``data_utils.load_mds189_all``).

    Inputs:
    - root: the data root (holding trainval/)
    - aligned: use the Procrustes-aligned gt_pose_align (a debugging aid) instead of gt_pose

    Returns Poses with class_names MOVEMENTS, subject ids, and split fixed to the course split.
    """
    X, y, subjects, n_train = load_mds189_all(root, debug=aligned)
    how = (f"MDS189 course split by subject (fixed, data_utils.split_subjects: the seed does not change it): "
           f"{len(set(subjects[:n_train]))} train and {len(set(subjects[n_train:]))} validation subjects")
    return Poses(X, y, list(MOVEMENTS), subject=subjects, skeleton="body25",
                 split=(np.arange(n_train), np.arange(n_train, len(y)), how))
