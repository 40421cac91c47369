"""Tests of data_utils: the subject split, pose normalisation, Procrustes alignment and the loader."""

import json
import shutil

import numpy as np
import pytest
from scipy.spatial import procrustes as scipy_procrustes

import mds189_files
from data_utils import has_body, load_mds189, loader_keys, normalize_poses, procrustes_align, split_subjects
from mds189_constants import JOINT_INDEX, MOVEMENTS


def pose_from(points):
    """A (75,) pose with the given {joint name: (x, y, c)}; other joints unlabelled (c = 0)."""
    pose = np.zeros(75)
    for name, xyc in points.items():
        pose[3 * JOINT_INDEX[name] : 3 * JOINT_INDEX[name] + 3] = xyc
    return pose


def test_split_reproduces_the_course_split_on_300_subjects():
    train, val = split_subjects([f"{i:03d}" for i in reversed(range(300))])
    assert train == [f"{i:03d}" for i in range(225)]
    assert val == [f"{i:03d}" for i in range(225, 300)]


@pytest.mark.parametrize("n, n_val", [(2, 1), (4, 1), (5, 2), (6, 2), (60, 15)])
def test_split_sizes_for_other_sizes(n, n_val):
    train, val = split_subjects([f"{i:03d}" for i in range(n)] * 2)  # duplicates count once
    assert len(val) == n_val and len(train) == n - n_val and max(train) < min(val)


def test_split_sorts_ids_by_number():
    assert split_subjects(["1000", "999", "0998", "1001"]) == (["0998", "999", "1000"], ["1001"])


def test_split_needs_two_subjects():
    with pytest.raises(ValueError, match="at least 2 subjects"):
        split_subjects(["000"])


def test_normalize_hand_computed():
    X = pose_from({"Neck": (10, 0, 1), "MidHip": (10, 20, 1), "RKnee": (20, 20, 1), "LKnee": (99, 99, 0)})
    out = normalize_poses(X[None])[0].reshape(25, 3)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out[JOINT_INDEX["MidHip"]], [0, 0, 1])
    np.testing.assert_allclose(out[JOINT_INDEX["Neck"]], [0, -1, 1])
    np.testing.assert_allclose(out[JOINT_INDEX["RKnee"]], [0.5, 0, 1])
    np.testing.assert_array_equal(out[JOINT_INDEX["LKnee"]], [0, 0, 0])  # unlabelled: x = y = 0, c = 0


def test_normalize_is_invariant_to_translation_and_scale_and_keeps_confidences():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 500, (5, 75))
    X[:, 2::3] = rng.uniform(0.1, 1.0, (5, 25))
    Y = X.copy()
    Y[:, 0::3], Y[:, 1::3] = 3 * X[:, 0::3] + 40, 3 * X[:, 1::3] - 7
    np.testing.assert_allclose(normalize_poses(X), normalize_poses(Y), atol=1e-12)
    np.testing.assert_array_equal(normalize_poses(X)[:, 2::3], X[:, 2::3])


def test_normalize_fallbacks_for_missing_joints():
    # no MidHip: centre = mean of the hips; no Neck: scale = distance between upper and lower means
    X = pose_from({"RHip": (0, 10, 1), "LHip": (4, 10, 1), "RShoulder": (0, 0, 1), "LShoulder": (4, 0, 1)})
    out = normalize_poses(X[None])[0].reshape(25, 3)
    np.testing.assert_allclose(out[JOINT_INDEX["RHip"], :2], [-0.2, 0.0])
    np.testing.assert_allclose(out[JOINT_INDEX["LShoulder"], :2], [0.2, -1.0])
    # only two leg joints: centre = their mean, scale = their RMS distance from it
    X = pose_from({"RKnee": (0, 0, 0.5), "RAnkle": (0, 8, 0.9)})
    out = normalize_poses(X[None])[0].reshape(25, 3)
    np.testing.assert_allclose(
        out[[JOINT_INDEX["RKnee"], JOINT_INDEX["RAnkle"]]], [[0, -1, 0.5], [0, 1, 0.9]]
    )
    assert np.isfinite(out).all()


@pytest.mark.parametrize(
    "points, message",
    [
        ({}, "row 1 has no visible joint"),
        ({"Nose": (5, 5, 1)}, "row 1 has fewer than two distinct visible joints"),
        ({"Nose": (5, 5, 1), "Neck": (5, 5, 1)}, "row 1 has fewer than two distinct visible joints"),
    ],
)
def test_normalize_rejects_poses_without_a_scale(points, message):
    good = pose_from({"Neck": (0, 0, 1), "MidHip": (0, 1, 1)})
    with pytest.raises(ValueError, match=message):
        normalize_poses(np.stack([good, pose_from(points)]))


def test_has_body_marks_exactly_the_poses_normalize_accepts():
    poses = np.stack([
        pose_from({"Neck": (0, 0, 1), "MidHip": (0, 1, 1)}),             # a torso
        pose_from({}),                                                   # nothing visible
        pose_from({"Nose": (5, 5, 1)}),                                  # one joint
        pose_from({"Nose": (5, 5, 1), "Neck": (5, 5, 1)}),               # two joints, one place
        pose_from({"Nose": (5, 5, 1), "Neck": (5, 5 + 1e-10, 1)}),       # 1e-10 apart: scale 5e-11
        pose_from({"RKnee": (1, 2, 0.3), "RAnkle": (1, 3, 0.1)}),        # legs only: spread 0.5
        pose_from({"Nose": (5, 5, 1), "LEye": (6, 5, 0)}),               # the second joint is unseen
    ])
    np.testing.assert_array_equal(has_body(poses), [True, False, False, False, False, True, False])
    for pose, ok in zip(poses, has_body(poses), strict=True):
        if ok:
            assert np.isfinite(normalize_poses(pose[None])).all()
        else:
            with pytest.raises(ValueError, match="row 0 has"):
                normalize_poses(pose[None])
    with pytest.raises(ValueError, match="row 0 holds NaN"):
        has_body(np.full((1, 75), np.nan))


def test_normalize_rejects_nan_and_bad_shapes():
    X = np.zeros((3, 75))
    X[2, 4] = np.nan
    with pytest.raises(ValueError, match="row 2 holds NaN"):
        normalize_poses(X)
    with pytest.raises(ValueError, match=r"shape \(N, 75\), got \(3, 74\)"):
        normalize_poses(np.zeros((3, 74)))


def test_procrustes_recovers_a_similarity_transform():
    rng = np.random.default_rng(1)
    ref = np.zeros((25, 3))
    ref[:, :2], ref[:, 2] = rng.uniform(0, 100, (25, 2)), 1
    a = 0.7
    R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    moved = ref.copy()
    moved[:, :2] = 2.5 * ref[:, :2] @ R.T + [30, -12]
    moved[3] = [0, 0, 0]  # unlabelled in the pose: stays unlabelled
    out = procrustes_align(moved.ravel(), ref.ravel()).reshape(25, 3)
    keep = np.arange(25) != 3
    np.testing.assert_allclose(out[keep], ref[keep], atol=1e-9)
    np.testing.assert_array_equal(out[3], [0, 0, 0])


def test_procrustes_matches_scipy_spatial_procrustes():
    rng = np.random.default_rng(2)
    P, Q = np.ones((25, 3)), np.ones((25, 3))
    P[:, :2], Q[:, :2] = rng.normal(size=(25, 2)), rng.normal(size=(25, 2))
    out = procrustes_align(P.ravel(), Q.ravel()).reshape(25, 3)[:, :2]
    ref_std, pose_std, _ = scipy_procrustes(Q[:, :2], P[:, :2])
    # scipy standardises both to unit norm around the mean; do the same to ours and the reference
    ours = (out - Q[:, :2].mean(axis=0)) / np.linalg.norm(Q[:, :2] - Q[:, :2].mean(axis=0))
    np.testing.assert_allclose(ours, pose_std, atol=1e-9)
    np.testing.assert_allclose(
        (Q[:, :2] - Q[:, :2].mean(axis=0)) / np.linalg.norm(Q[:, :2] - Q[:, :2].mean(axis=0)),
        ref_std,
        atol=1e-12,
    )


def test_procrustes_needs_three_shared_joints():
    P = pose_from({"Neck": (0, 0, 1), "MidHip": (0, 1, 1), "Nose": (0, -1, 1)})
    Q = pose_from({"Neck": (0, 0, 1), "MidHip": (0, 1, 1), "RKnee": (0, 2, 1)})
    with pytest.raises(ValueError, match="3 joints visible in both poses, found 2"):
        procrustes_align(P, Q)


def test_load_shapes_classes_and_split(mds189_tiny):
    X_tr, y_tr, X_val, y_val, g_tr, g_val = load_mds189(mds189_tiny, return_groups=True)
    assert X_tr.shape == (4 * 16, 75) and X_val.shape == (2 * 16, 75)
    assert X_tr.dtype == np.float64 and y_tr.dtype == np.int64
    assert set(g_tr) == {"000", "001", "002", "003"} and set(g_val) == {"004", "005"}
    np.testing.assert_array_equal(np.bincount(y_tr, minlength=8), [8] * 8)
    # rows: per subject, the movements in class order, left then right
    np.testing.assert_array_equal(y_val[:16], np.repeat(np.arange(8), 2))
    data = json.loads((mds189_tiny / "trainval/004/labels/lunge.json").read_text())
    lunge = MOVEMENTS.index("lunge")
    np.testing.assert_array_equal(X_val[2 * lunge], data["gt_pose"]["left"])
    np.testing.assert_array_equal(X_val[2 * lunge + 1], data["gt_pose"]["right"])
    squat = MOVEMENTS.index("squat")  # bilateral: both entries are the one key frame
    np.testing.assert_array_equal(X_val[2 * squat], X_val[2 * squat + 1])


def test_load_debug_normalize_and_custom_split(mds189_tiny):
    X_tr, *_ = load_mds189(mds189_tiny)
    data = json.loads((mds189_tiny / "trainval/000/labels/reach.json").read_text())
    np.testing.assert_array_equal(load_mds189(mds189_tiny, debug=True)[0][0], data["gt_pose_align"]["left"])
    np.testing.assert_allclose(load_mds189(mds189_tiny, normalize=True)[0], normalize_poses(X_tr))
    X_tr, _, X_val, _ = load_mds189(mds189_tiny, val_subjects=[0, "003"])
    assert X_tr.shape == (64, 75) and X_val.shape == (32, 75)
    with pytest.raises(ValueError, match=r"val_subjects \['999'\] are not subjects"):
        load_mds189(mds189_tiny, val_subjects=["999"])
    with pytest.raises(ValueError, match="val_subjects leave no training subject"):
        load_mds189(mds189_tiny, val_subjects=range(6))


def test_the_loader_validates_the_keys_it_reads(mds189_tiny, tmp_path):
    assert loader_keys() == ("movement", "gt_pose")
    assert loader_keys(debug=True) == ("movement", "gt_pose_align")
    root = tmp_path / "copy"
    shutil.copytree(mds189_tiny / "trainval", root / "trainval", ignore=shutil.ignore_patterns("*.jpg"))
    path = root / "trainval/001/labels/squat.json"
    data = json.loads(path.read_text())
    del data["metadata"], data["gt_pose_align"]
    path.write_text(json.dumps(data))
    assert load_mds189(root)[0].shape == (64, 75)  # neither is read
    with pytest.raises(mds189_files.FormatError, match="001/labels/squat.json: missing key gt_pose_align"):
        load_mds189(root, debug=True)


def test_load_names_a_broken_file(mds189_tiny, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(mds189_tiny / "trainval", root / "trainval", ignore=shutil.ignore_patterns("*.jpg"))
    path = root / "trainval/002/labels/stretch.json"
    data = json.loads(path.read_text())
    data["gt_pose"]["right"] = data["gt_pose"]["right"][:-1]
    path.write_text(json.dumps(data))
    with pytest.raises(
        mds189_files.FormatError,
        match=r"002/labels/stretch.json: gt_pose.right: expected a list "
        r"of 75 numbers, got 74",
    ):
        load_mds189(root)
    with pytest.raises(mds189_files.FormatError, match="trainval: missing folder"):
        load_mds189(tmp_path / "nowhere")
