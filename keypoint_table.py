"""The keypoint table: the project's one CSV format for labelled poses, whatever recorded them.

One row per pose: ``label``, optional ``subject`` (person), optional ``sequence`` (clip or video),
optional ``frame``, then the 75 BODY_25 values ``Nose_x, Nose_y, Nose_c, ..., RHeel_c`` in the order of
an MDS189 ``gt_pose`` vector (joint names from ``mds189_constants.JOINTS``). Column names are matched
case-insensitively on reading (``Label`` is ``label``; two columns matching one name are an error); other
columns are ignored, so ``data/body25_posekit/samples.csv.gz`` already is a keypoint table.

A joint is missing when its confidence is 0 or any of its three numbers is NaN or infinite; on reading,
missing joints become (x, y, c) = (0, 0, 0), which is what ``data_utils.normalize_poses`` expects.
Other skeletons (COCO, MediaPipe, OpenPose JSON) are turned into this table by ``skeletons.py``.
"""
import numpy as np
import pandas as pd

from atomic import atomic_open
from mds189_constants import JOINTS, KEYPOINT_DIM, MOVEMENTS

META_COLUMNS = ("subject", "sequence", "frame")
TEXT_COLUMNS = ("label", "subject", "sequence")  # read as text: subject '007' keeps its zeros
KEYPOINT_COLUMNS = tuple(f"{joint}_{axis}" for joint in JOINTS for axis in "xyc")


def clean_keypoints(X):
    """Zero every missing joint and clip confidences to [0, 1].

    A joint is missing when c <= 0 or x, y or c is not finite. Clipping makes 0/1/2 visibility flags
    (COCO's ``v``) and plain confidences mean the same: 0 missing, up to 1 sure.

    Inputs:
    - X: array of shape (N, 75), BODY_25 keypoints [x0, y0, c0, ..., x24, y24, c24]

    Returns:
    - A float64 copy of X, shape (N, 75), with (x, y, c) = (0, 0, 0) at every missing joint.
    """
    X = np.array(X, dtype=np.float64).reshape(len(X), -1, 3)
    missing = ~np.isfinite(X).all(axis=2) | ~(np.nan_to_num(X[:, :, 2]) > 0)
    X[missing] = 0.0
    X[:, :, 2] = np.clip(X[:, :, 2], 0.0, 1.0)
    return X.reshape(len(X), -1)


def make_table(X, labels=None, subject=None, sequence=None, frame=None):
    """Build a keypoint table from arrays.

    Inputs:
    - X: array of shape (N, 75), BODY_25 keypoints
    - labels, subject, sequence, frame: optional sequences of length N (None leaves the column out)

    Returns a DataFrame with the columns label, subject, sequence, frame (those given) and the 75
    keypoint columns.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != KEYPOINT_DIM:
        raise ValueError(f"keypoints must have shape (N, {KEYPOINT_DIM}), got {X.shape}")
    columns = {name: list(values) for name, values in
               (("label", labels), ("subject", subject), ("sequence", sequence), ("frame", frame))
               if values is not None}
    for name, values in columns.items():
        if len(values) != len(X):
            raise ValueError(f"column {name!r} has {len(values)} values for {len(X)} poses")
    table = pd.DataFrame(columns, index=pd.RangeIndex(len(X)))
    return pd.concat([table, pd.DataFrame(X, columns=KEYPOINT_COLUMNS)], axis=1)


def canonical_columns(table, names, source="table"):
    """Rename the columns that match one of names case-insensitively to that exact name.

    Inputs:
    - table: DataFrame
    - names: the canonical column names (e.g. 'label', 'Nose_x')
    - source: name of the table used in error messages

    Returns the renamed DataFrame (other columns untouched). Raises ValueError naming both columns if
    two columns match one name (e.g. 'label' and 'Label').
    """
    wanted = {name.lower(): name for name in names}
    found = {}
    for column in table.columns:
        name = wanted.get(str(column).lower())
        if name is not None and name in found:
            raise ValueError(f"{source}: columns {found[name]!r} and {column!r} both match {name!r} "
                             "(column names are matched case-insensitively)")
        if name is not None:
            found[name] = column
    return table.rename(columns={column: name for name, column in found.items()})


def read_csv(path):
    """Read a CSV file (plain or .gz), with label, subject and sequence (any case) as text; clear errors."""
    try:
        header = pd.read_csv(path, nrows=0).columns
        text = {column: str for column in header if str(column).lower() in TEXT_COLUMNS}
        table = pd.read_csv(path, dtype=text)
    except FileNotFoundError:
        raise FileNotFoundError(f"no such keypoint table: {path}") from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: the file is empty (expected a CSV with a header row)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not a readable CSV file ({err})") from None
    if table.empty:
        raise ValueError(f"{path}: the table has a header but no rows")
    return table


def list_some(names, most=6):
    """'a, b, c and 4 more': the first few of a list of names, for error messages."""
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def data_row(i):
    """'line i + 2, data row i': where data row i (counted from 0) stands in a CSV with one header line."""
    return f"line {i + 2}, data row {i}"


def check_label_column(table, source="table"):
    """Raise ValueError naming the source if the table has no 'label' column."""
    if "label" not in table.columns:
        raise ValueError(f"{source}: no 'label' column (columns start with: "
                         f"{', '.join(map(str, table.columns[:5]))})")


def numeric_columns(table, columns, source="table"):
    """Columns of a table as a float64 array of shape (N, len(columns)); empty cells become NaN.

    Raises ValueError naming the source, CSV line, data row, column and value of the first cell that is not
    a number.
    """
    raw = table.loc[:, list(columns)]
    values = raw.apply(pd.to_numeric, errors="coerce")
    bad = (values.isna() & raw.notna()).to_numpy()
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(f"{source}: {data_row(row)}, column {columns[col]!r}: {raw.iat[row, col]!r} "
                         "is not a number")
    return values.to_numpy(dtype=np.float64)


def split_table(table, source="table", require_label=True):
    """Split a keypoint table into keypoints, labels and the optional subject/sequence/frame columns.

    Inputs:
    - table: DataFrame with the 75 keypoint columns (and label, subject, sequence, frame), names matched
      case-insensitively (canonical_columns)
    - source: name of the table (e.g. its path) used in error messages
    - require_label: raise if the label column is missing; otherwise labels may be None

    Returns a tuple of:
    - X: float64 array of shape (N, 75), missing joints zeroed (see clean_keypoints)
    - labels: object array of shape (N,) holding label strings, or None when there is no label column
    - meta: DataFrame of N rows with the columns among subject, sequence, frame that the table has
    """
    table = canonical_columns(table, ("label", *META_COLUMNS, *KEYPOINT_COLUMNS), source)
    missing = [c for c in KEYPOINT_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{source}: missing keypoint columns {list_some(missing)} (a keypoint table has "
                         f"<Joint>_x, <Joint>_y, <Joint>_c for the 25 BODY_25 joints {JOINTS[0]} ... "
                         f"{JOINTS[-1]}; other skeletons: see skeletons.py)")
    values = numeric_columns(table, KEYPOINT_COLUMNS, source)
    labels = None
    if "label" in table.columns:
        if table["label"].isna().any():
            raise ValueError(f"{source}: {data_row(np.flatnonzero(table['label'].isna())[0])} has no label")
        labels = table["label"].astype(str).to_numpy(dtype=object)
    elif require_label:
        check_label_column(table, source)
    meta = table.loc[:, [c for c in META_COLUMNS if c in table.columns]].reset_index(drop=True)
    for name in ("subject", "sequence"):
        if name in meta.columns and meta[name].isna().any():
            raise ValueError(f"{source}: {data_row(np.flatnonzero(meta[name].isna())[0])} has no {name}")
    return clean_keypoints(values), labels, meta


def read_keypoint_table(path, require_label=True):
    """Read a keypoint table CSV (plain or .gz).

    Inputs:
    - path: path of the CSV file
    - require_label: raise if there is no label column (set False for tables to predict)

    Returns a tuple of:
    - X: float64 array of shape (N, 75), missing joints zeroed
    - labels: object array of shape (N,) with the label strings (None if absent and not required)
    - meta: DataFrame of N rows with the columns among subject, sequence, frame that the file has
    """
    return split_table(read_csv(path), source=str(path), require_label=require_label)


def write_table_csv(table, path):
    """Write a DataFrame as CSV atomically, gzip-compressed when the path ends in .gz."""
    path = str(path)
    if path.endswith(".gz"):
        with atomic_open(path, "wb") as f:
            table.to_csv(f, index=False, compression="gzip")
    else:
        with atomic_open(path) as f:
            table.to_csv(f, index=False)
    return path


def write_keypoint_table(path, X, labels=None, subject=None, sequence=None, frame=None):
    """Write poses as a keypoint table CSV (atomically; gzip when the path ends in .gz).

    Inputs:
    - path: output path
    - X: array of shape (N, 75), BODY_25 keypoints
    - labels, subject, sequence, frame: optional sequences of length N

    Returns the path.
    """
    return write_table_csv(make_table(X, labels, subject, sequence, frame), path)


def mds189_to_table(root, path, aligned=False):
    """Write all MDS189 key-frame poses (train and validation subjects) as a keypoint table.

    Inputs:
    - root: the MDS189 data root (holding trainval/)
    - path: output CSV path
    - aligned: use the Procrustes-aligned poses (gt_pose_align) instead of gt_pose

    Returns the path. Rows are those of ``data_utils.load_mds189_all`` (a bilateral movement's one key frame
    appears twice, as its left and right entry); labels are movement names, subject the subject folder
    name (e.g. '007').
    """
    # Imported here, not at the top: reading and writing tables (the CLI's convert and predict, skeletons)
    # does not need data_utils or its SciPy import (test_keypoint_table_does_not_import_data_utils).
    from data_utils import load_mds189_all

    X, y, subjects, _ = load_mds189_all(root, debug=aligned)
    return write_keypoint_table(path, X, labels=[MOVEMENTS[i] for i in y], subject=subjects)
