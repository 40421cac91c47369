"""MDS189 keypoints as arrays: the loader, the subject-wise split, pose normalisation, Procrustes alignment.

A pose is a 75-number row ``[x0, y0, c0, ..., x24, y24, c24]`` in OpenPose BODY_25 order
(``mds189_constants.JOINTS``); a joint counts as visible when ``c > 0``. Class indices are positions
in ``mds189_constants.MOVEMENTS`` (reach=0 ... pushup=7), the one class order of the project.
"""

from pathlib import Path

import numpy as np
from scipy.linalg import orthogonal_procrustes

import mds189_files
from mds189_constants import JOINT_INDEX, JOINTS, KEYPOINT_DIM, MOVEMENTS, NUM_JOINTS, SIDES

_CENTRE_GROUPS = (("MidHip",), ("RHip", "LHip"), ("Neck", "RShoulder", "LShoulder"))
_UPPER, _LOWER = ("Neck", "RShoulder", "LShoulder"), ("MidHip", "RHip", "LHip")


def split_subjects(subject_ids):
    """Subject-wise train/validation split: the last quarter of the sorted ids (rounded up) validates.

    On the real set's 300 subjects this is the course's split: 000-224 train, 225-299 validation.

    Inputs:
    - subject_ids: iterable of subject ids (strings such as '007', sorted by number:
      ``mds189_files.subject_key``)

    Returns a tuple of:
    - train_ids: sorted list of the first n - ceil(n/4) ids
    - val_ids: sorted list of the last ceil(n/4) ids
    """
    ids = sorted(set(subject_ids), key=mds189_files.subject_key)
    if len(ids) < 2:
        raise ValueError(f"a subject-wise split needs at least 2 subjects, got {len(ids)}: {ids}")
    n_val = -(-len(ids) // 4)
    return ids[:-n_val], ids[-n_val:]


def _as_poses(X, name="X"):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != KEYPOINT_DIM:
        raise ValueError(f"{name} must have shape (N, {KEYPOINT_DIM}), got {X.shape}")
    bad = np.flatnonzero(~np.isfinite(X).all(axis=1))
    if bad.size:
        raise ValueError(f"{name} row {bad[0]} holds NaN or inf ({bad.size} such rows)")
    return X.reshape(len(X), NUM_JOINTS, 3)


def _group_mean(P, vis, names):
    """Mean position over the visible joints of a group: (means (N, 2), found (N,))."""
    idx = [JOINT_INDEX[n] for n in names]
    w = vis[:, idx].astype(float)
    count = w.sum(axis=1)
    mean = (P[:, idx, :2] * w[..., None]).sum(axis=1) / np.maximum(count, 1)[:, None]
    return mean, count > 0


_MIN_SCALE = 1e-9  # a pose whose scale is not above this has no body to normalise by


def _centre_and_scale(P, vis):
    """Each pose's centre (N, 2) and scale (N,) as normalize_poses defines them (scale 0: nothing visible)."""
    centre, _ = _group_mean(P, vis, JOINTS)
    for names in reversed(_CENTRE_GROUPS):
        mean, ok = _group_mean(P, vis, names)
        centre = np.where(ok[:, None], mean, centre)
    upper, has_upper = _group_mean(P, vis, _UPPER)
    lower, has_lower = _group_mean(P, vis, _LOWER)
    neck, hip = P[:, JOINT_INDEX["Neck"], :2], P[:, JOINT_INDEX["MidHip"], :2]
    torso = np.where(
        vis[:, JOINT_INDEX["Neck"]] & vis[:, JOINT_INDEX["MidHip"]], np.linalg.norm(neck - hip, axis=1), 0.0
    )
    halves = np.where(has_upper & has_lower, np.linalg.norm(upper - lower, axis=1), 0.0)
    squares = (((P[:, :, :2] - centre[:, None]) ** 2).sum(axis=2) * vis).sum(axis=1)
    spread = np.sqrt(squares / np.maximum(vis.sum(axis=1), 1))
    scale = np.where(torso > _MIN_SCALE, torso, np.where(halves > _MIN_SCALE, halves, spread))
    return centre, scale


def has_body(X):
    """Which poses have a body that normalize_poses can centre and scale by (a scale above 1e-9).

    A pose needs at least two distinct visible joints; normalize_poses accepts exactly the rows marked
    True and raises on the others.

    Inputs:
    - X: array of shape (N, 75), poses

    Returns a boolean array of shape (N,). Raises ValueError naming the first row holding NaN or inf.
    """
    P = _as_poses(X)
    return _centre_and_scale(P, P[:, :, 2] > 0)[1] > _MIN_SCALE


def normalize_poses(X, row_names=None, hint=None):
    """Centre and scale every pose by its own body, so poses from different images are comparable.

    Centre: the MidHip; if it is not visible, the mean of the visible hips; then of the visible neck
    and shoulders; then of all visible joints. Scale: the torso length (Neck to MidHip); if either is
    missing or they coincide, the distance between the means of the visible upper (neck, shoulders) and
    lower (mid-hip, hips) joints; then the root-mean-square distance of the visible joints from the centre.
    Joints with c <= 0 get x = y = 0 and keep their c; visible joints keep their c (1, or a confidence).

    Inputs:
    - X: array of shape (N, 75), poses in pixels (or any units)
    - row_names: optional sequence of N names of the rows (e.g. 'file: gt_pose.left') for the error
      message about poses without a body, which then names the first such row and counts them
    - hint: optional advice added to that message after the count (with row_names only)

    Returns an array of shape (N, 75), float64. Raises ValueError naming the first bad row if a row
    holds NaN/inf or has fewer than two distinct visible joints (see ``has_body``).
    """
    P = _as_poses(X).copy()
    vis = P[:, :, 2] > 0
    seen = vis.any(axis=1)
    if row_names is None and not seen.all():
        raise ValueError(f"pose row {np.flatnonzero(~seen)[0]} has no visible joint (every c <= 0)")
    centre, scale = _centre_and_scale(P, vis)
    bad = np.flatnonzero(scale <= _MIN_SCALE)
    if bad.size and row_names is None:
        raise ValueError(f"pose row {bad[0]} has fewer than two distinct visible joints, so it has no scale")
    if bad.size:
        advice = "" if hint is None else f"; {hint}"
        raise ValueError(
            f"{row_names[bad[0]]}: fewer than two distinct labelled joints, so the pose cannot be "
            f"normalised ({bad.size} such pose{'s' * (bad.size > 1)}{advice})"
        )
    P[:, :, :2] = np.where(vis[..., None], (P[:, :, :2] - centre[:, None]) / scale[:, None, None], 0.0)
    return P.reshape(len(P), KEYPOINT_DIM)


def procrustes_align(pose, reference):
    """Map a pose onto a reference pose by the similarity transform that fits them best (least squares).

    Uses ``scipy.linalg.orthogonal_procrustes`` on the joints visible in both; the optimal rotation
    may include a reflection (as in ``scipy.spatial.procrustes``), so a left-facing view can match a
    right-facing reference. The result is in the reference's pixel frame.

    Inputs:
    - pose, reference: arrays of shape (75,)

    Returns an array of shape (75,): aligned x, y for the pose's visible joints, x = y = 0 elsewhere,
    c unchanged. Raises ValueError if fewer than 3 joints are visible in both.
    """
    P, Q = (
        _as_poses(np.reshape(pose, (1, -1)), "pose")[0],
        _as_poses(np.reshape(reference, (1, -1)), "reference")[0],
    )
    both = (P[:, 2] > 0) & (Q[:, 2] > 0)
    if both.sum() < 3:
        raise ValueError(f"Procrustes alignment needs 3 joints visible in both poses, found {both.sum()}")
    A, B = P[both, :2], Q[both, :2]
    A0, B0 = A - A.mean(axis=0), B - B.mean(axis=0)
    if not (A0**2).sum() > 0:
        raise ValueError("Procrustes alignment: the pose's shared joints all coincide")
    R, singular_sum = orthogonal_procrustes(A0, B0)
    scale = singular_sum / (A0**2).sum()
    out = P.copy()
    vis = P[:, 2] > 0
    out[vis, :2] = scale * (P[vis, :2] - A.mean(axis=0)) @ R + B.mean(axis=0)
    out[~vis, :2] = 0.0
    return out.reshape(KEYPOINT_DIM)


def loader_keys(debug=False):
    """The label-file keys load_mds189 reads: only faults in these stop it (mds189_check reports the rest).

    ``movement`` (its label must be the file's movement, the class of the rows) and the pose key:
    ``gt_pose_align`` with debug, else ``gt_pose``.
    """
    return ("movement", "gt_pose_align" if debug else "gt_pose")


def load_mds189(path, debug=False, normalize=False, val_subjects=None, return_groups=False):
    """Load the hand-labelled key-frame keypoints of MDS189 (or the generated sample) as arrays.

    Every subject contributes, for each movement in class order, its ``left`` then its ``right``
    key-frame pose. For the bilateral movements (reach, squat, pushup) the two entries are the same
    key frame, counted twice as the course's loader did; so every movement has two examples per
    subject and the classes stay balanced. The keys of every label file that the loader reads
    (``loader_keys``: movement and the pose key) are validated first (``mds189_files``): a fault there
    raises ``mds189_files.FormatError`` naming the file. Faults in the other keys (metadata,
    pseudo_gt_raw, frames, gt_pose_dict, the unused pose key) do not stop loading;
    ``python -m mds189_check`` reports them.

    Inputs:
    - path: the data root (holding trainval/)
    - debug: use ``gt_pose_align`` (Procrustes-aligned, a debugging aid) instead of raw ``gt_pose``
    - normalize: centre and scale each pose by its own body (``normalize_poses``); a pose without a
      body (fewer than two distinct labelled joints) raises ValueError naming its file and side
    - val_subjects: ids of the validation subjects; None for ``split_subjects`` (last quarter)
    - return_groups: also return the subject id of every row

    Returns a tuple of:
    - X_train: array of shape (N_train, 75), float64; y_train: int64 array of shape (N_train,)
    - X_val: array of shape (N_val, 75), float64; y_val: int64 array of shape (N_val,)
    - groups_train, groups_val (only with return_groups): arrays of subject ids (str)
    """
    root = Path(path)
    subjects = mds189_files.subject_ids(root)
    if val_subjects is None:
        _, val_ids = split_subjects(subjects)
    else:
        val_ids = [s if isinstance(s, str) else f"{int(s):03d}" for s in val_subjects]
        unknown = sorted(set(val_ids) - set(subjects))
        if unknown:
            raise ValueError(f"val_subjects {unknown} are not subjects under {root / 'trainval'}")
        if set(subjects) <= set(val_ids):
            raise ValueError(f"val_subjects leave no training subject under {root / 'trainval'}")
    key = "gt_pose_align" if debug else "gt_pose"
    X, y, groups, where = [], [], [], []
    for sid in subjects:
        for c, m in enumerate(MOVEMENTS):
            path = root / "trainval" / sid / "labels" / f"{m}.json"
            data = mds189_files.read_label_file(path, loader_keys(debug))
            for side in SIDES:
                X.append(data[key][side])
                y.append(c)
                groups.append(sid)
                where.append(f"{path}: {key}.{side}")
    X, y, groups = np.array(X, dtype=np.float64), np.array(y, dtype=np.int64), np.array(groups)
    if normalize:
        X = normalize_poses(X, row_names=where, hint="load with normalize=False")
    val = np.isin(groups, val_ids)
    out = (X[~val], y[~val], X[val], y[val])
    return out + (groups[~val], groups[val]) if return_groups else out


def load_mds189_all(path, debug=False):
    """Every subject's key-frame poses in one array: load_mds189's training rows, then its validation rows.

    Inputs:
    - path: the data root (holding trainval/)
    - debug: use ``gt_pose_align`` instead of raw ``gt_pose`` (as in load_mds189)

    Returns a tuple of:
    - X: array of shape (N, 75), float64; y: int64 array of shape (N,), class indices
    - groups: array of shape (N,), the subject id (str) of every row
    - num_train: the first num_train rows are the training subjects' (``split_subjects``), the rest
      the validation subjects'
    """
    X_train, y_train, X_val, y_val, g_train, g_val = load_mds189(path, debug=debug, return_groups=True)
    return (np.concatenate([X_train, X_val]), np.concatenate([y_train, y_val]),
            np.concatenate([g_train, g_val]), len(y_train))
