"""Tests of the sample generator: layout, label schema, geometry, determinism, and no shortcuts."""

import csv
import hashlib
import json

import numpy as np
import pytest
from PIL import Image
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mds189_check
from data_utils import normalize_poses, split_subjects
from mds189_constants import BILATERAL, JOINT_INDEX, KEY_FRAME_LABELS, MIRROR, MOVEMENTS
from mds189_sample import __main__ as cli
from mds189_sample import body, camera, labels, movements, subject
from tests.conftest import TINY


def read_lines(path):
    return [line.rsplit(",", 1) for line in path.read_text().splitlines()]


def test_layout_has_every_folder_and_file_of_the_format(mds189_tiny):
    root = mds189_tiny
    subjects = sorted(p.name for p in (root / "trainval").iterdir())
    assert subjects == [f"{i:03d}" for i in range(TINY["subjects"])]
    for sid in subjects:
        folder = root / "trainval" / sid
        assert sorted(p.name for p in (folder / "frames").iterdir()) == sorted(MOVEMENTS)
        assert sorted(p.name for p in (folder / "labels").iterdir()) == sorted(f"{m}.json" for m in MOVEMENTS)
        for sub in ("key_frames", "key_frames_resized"):
            assert sorted(p.name for p in (folder / sub).iterdir()) == sorted(
                f"{k}.jpg" for k in KEY_FRAME_LABELS
            )
    assert sorted(p.name for p in (root / "dataloader_files").iterdir()) == sorted(
        mds189_check.DATALOADER_FILES
    )
    for name in ("kaggle_submission_format.csv", "README.md", "test_kaggle_labels.csv", "sample_faults.csv"):
        assert (root / name).is_file()
    assert not root.with_name(root.name + ".partial").exists()
    assert mds189_check.check_root(root) == ([], [])


def test_label_files_follow_the_schema(mds189_tiny):
    for path in sorted((mds189_tiny / "trainval").glob("*/labels/*.json")):
        data = json.loads(path.read_text())
        m = path.stem
        assert list(data) == list(mds189_check.LABEL_KEYS)
        assert list(data["metadata"]) == list(mds189_check.METADATA_KEYS)
        assert data["movement"]["label"] == m and data["movement"]["bilateral"] == (m in BILATERAL)
        sides = ("both", "both") if m in BILATERAL else ("left", "right")
        for side, key_side in zip(("left", "right"), sides, strict=True):
            assert data["frames"][side]["filename"] == f"key_frames/{m}_{key_side}.jpg"
            pose = data["gt_pose"][side]
            labelled = [j for j in range(25) if pose[3 * j + 2] == 1]
            assert sorted(data["gt_pose_dict"][side]) == sorted(mds189_check.JOINTS[j] for j in labelled)
            for j in labelled:  # gt_pose keeps the last click
                assert data["gt_pose_dict"][side][mds189_check.JOINTS[j]][-1] == pose[3 * j : 3 * j + 2]
        if m in BILATERAL:
            assert data["frames"]["left"] == data["frames"]["right"]
            assert data["gt_pose"]["left"] == data["gt_pose"]["right"]
        else:  # left, then right
            assert data["frames"]["left"]["f_end"] < data["frames"]["right"]["f_start"]
        meta = data["metadata"]
        assert meta["fps"] == 30
        assert meta["video_width_scale"] * meta["width"] == pytest.approx(224, abs=1e-3)
        assert meta["video_height_scale"] * meta["height"] == pytest.approx(448, abs=1e-3)
        raw = data["pseudo_gt_raw"]
        assert raw["frames"] == sorted(int(p.stem) for p in (path.parents[1] / "frames" / m).iterdir())


def test_images_match_the_metadata_and_keypoints_lie_inside(mds189_tiny):
    for folder in sorted((mds189_tiny / "trainval").iterdir()):
        data = json.loads((folder / "labels" / "lunge.json").read_text())
        meta = data["metadata"]
        assert Image.open(folder / "key_frames/lunge_left.jpg").size == (meta["width"], meta["height"])
        assert Image.open(folder / "key_frames_resized/lunge_left.jpg").size == (224, 448)
        frame = next((folder / "frames" / "lunge").iterdir())
        assert Image.open(frame).size == (meta["video_width"], meta["video_height"])
        assert meta["height"] > meta["width"] or meta["width"] in (480, 512, 560, 640)  # mostly portrait
        for side in ("left", "right"):
            p = np.array(data["gt_pose"][side]).reshape(25, 3)
            seen = p[p[:, 2] == 1]
            assert len(seen) >= 15
            assert (seen[:, 0] >= 0).all() and (seen[:, 0] < meta["width"]).all()
            assert (seen[:, 1] >= 0).all() and (seen[:, 1] < meta["height"]).all()
        for people in data["pseudo_gt_raw"]["2d_keypoints"]:
            for person in people:
                p = np.array(person).reshape(25, 3)
                assert (p[:, 0] < meta["video_width"]).all() and (p[:, 1] < meta["video_height"]).all()


def test_label_files_resolve_and_split_by_subject(mds189_tiny):
    root = mds189_tiny
    train_ids, val_ids = split_subjects(f"{i:03d}" for i in range(TINY["subjects"]))
    for split, ids in (("train", train_ids), ("val", val_ids)):
        key = mds189_check.read_dataloader_file(root, f"keyframe_data_{split}.txt")
        assert len(key) == 13 * len(ids)
        assert {p.parts[-3] for p, _ in key} == set(ids)
        assert all(p.parent.name == "key_frames_resized" and p.stem == label for p, label in key)
        video = mds189_check.read_dataloader_file(root, f"videoframe_data_{split}.txt")
        assert {p.parts[-4] for p, _ in video} == set(ids)
        assert all(p.parent.name == label for p, label in video)
        assert len(video) == sum(
            1 for sid in ids for _ in (root / "trainval" / sid / "frames").glob("*/*.jpg")
        )
    lines = read_lines(root / "dataloader_files/videoframe_data_test.txt")
    names = sorted(p.name for p in (root / "test_kaggle_frames").iterdir())
    assert lines == [[f"test_kaggle_frames/{n}", "label"] for n in names]
    with open(root / "kaggle_submission_format.csv", newline="") as f:
        assert list(csv.reader(f)) == [["Id", "Category"]] + [[n, "predicted_label"] for n in names]
    with open(root / "test_kaggle_labels.csv", newline="") as f:
        truth = list(csv.reader(f))
    assert [r[0] for r in truth[1:]] == names and {r[1] for r in truth[1:]} == set(MOVEMENTS)


def test_test_frames_come_from_held_out_subjects_in_shuffled_order(mds189_tiny):
    digest = {
        hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (mds189_tiny / "trainval").glob("*/frames/*/*.jpg")
    }
    test = sorted((mds189_tiny / "test_kaggle_frames").iterdir())
    assert not digest & {hashlib.sha256(p.read_bytes()).hexdigest() for p in test}
    truth = [r[1] for r in read_lines(mds189_tiny / "test_kaggle_labels.csv")[1:]]
    runs = sum(a != b for a, b in zip(truth, truth[1:], strict=False))
    assert runs > len(truth) / 2  # shuffled, not grouped by movement


def _digest(data):
    return hashlib.sha256(data).hexdigest()


def test_build_is_deterministic_whatever_the_worker_count(mds189_tiny, tmp_path):
    # the fixture was built by 2 worker processes; redo subject 003 and the test subject in this one
    records = subject.write_trainval(tmp_path, TINY["seed"], 3)
    files = sorted(p for p in (tmp_path / "trainval/003").rglob("*") if p.is_file())
    assert len(files) == sum(1 for p in (mds189_tiny / "trainval/003").rglob("*") if p.is_file())
    for path in files:
        assert _digest(path.read_bytes()) == _digest(
            (mds189_tiny / path.relative_to(tmp_path)).read_bytes()
        ), path
    lines = read_lines(mds189_tiny / "dataloader_files/keyframe_data_train.txt")
    assert [list(r) for r in records["key"]] == [r for r in lines if r[0].startswith("trainval/003/")]
    frames = subject.render_test(TINY["seed"], 0)
    test = sorted((mds189_tiny / "test_kaggle_frames").iterdir())
    truth = dict(read_lines(mds189_tiny / "test_kaggle_labels.csv")[1:])
    assert sorted((_digest(jpeg), m) for jpeg, m in frames) == sorted(
        (_digest(p.read_bytes()), truth[p.name]) for p in test
    )


def test_cli_refuses_bad_requests(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--out", str(tmp_path / "x"), "--subjects", "1"])
    assert e.value.code == 2 and "at least 2" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        cli.main(["--out", str(tmp_path), "--subjects", "2"])
    assert e.value.code == 2 and "exists; pass --overwrite" in capsys.readouterr().err


def test_proportions_are_in_realistic_ranges():
    rng = np.random.default_rng(0)
    people = [body.draw_proportions(rng) for _ in range(500)]
    h = np.array([p.height for p in people])
    assert 1.45 <= h.min() and h.max() <= 2.05 and 1.65 < h.mean() < 1.75
    for p in people:
        assert p.ankle_height + p.tibia + p.femur + p.torso + p.head == pytest.approx(p.height)
        assert 0.9 < p.wingspan / p.height < 1.1 and 0.2 < p.femur / p.height < 0.29
        assert 0.12 < p.tibia / p.height < 0.35


def test_forward_kinematics_keeps_segment_lengths_and_sides():
    rng = np.random.default_rng(1)
    b = body.draw_proportions(rng)
    pose = {k: rng.uniform(-180, 180, 50) for k in body.POSE_KEYS}
    pose.update(l_foot_flat=rng.random(50), r_foot_flat=rng.random(50))
    J = body.joints_3d(b, pose)
    assert J.shape == (50, 25, 3)
    length = lambda a, c: np.linalg.norm(J[:, JOINT_INDEX[a]] - J[:, JOINT_INDEX[c]], axis=1)  # noqa: E731
    np.testing.assert_allclose(length("LHip", "LKnee"), b.femur)
    np.testing.assert_allclose(length("RKnee", "RAnkle"), b.tibia)
    np.testing.assert_allclose(length("RShoulder", "RElbow"), b.upper_arm)
    np.testing.assert_allclose(length("MidHip", "Neck"), b.torso)
    standing = body.joints_3d(b, movements.standing())  # facing +z: the subject's left is +x
    assert (standing[[JOINT_INDEX[n] for n in ("LShoulder", "LHip", "LAnkle")], 0] > 0).all()
    assert (
        standing[JOINT_INDEX["Nose"], 1]
        > standing[JOINT_INDEX["Neck"], 1]
        > standing[JOINT_INDEX["LAnkle"], 1]
    )
    np.testing.assert_allclose(standing[list(MIRROR)] * [-1, 1, 1], standing, atol=1e-12)  # symmetric


@pytest.mark.parametrize("movement", MOVEMENTS)
def test_movements_stay_on_the_floor_and_peak_at_the_key_frames(movement):
    rng = np.random.default_rng(2)
    b = body.draw_proportions(rng)
    perf = movements.perform(movement, b, rng, yaw=30.0, depth=0.9, tempo=1.0)
    assert 0 < perf.f_start < perf.f_end < perf.number_frames
    for side, (a, c, k) in perf.sides.items():
        assert perf.f_start <= a <= k <= c <= perf.f_end, side
    np.testing.assert_allclose(
        perf.joints[..., 1].min(axis=1), movements.CLEARANCE.get(movement, 0.0), atol=1e-9
    )
    key = perf.at(perf.sides["left"][2])
    start = perf.at(perf.frames[0])
    assert np.abs(key - start).max() > 0.1  # the key frame shows the movement, not the rest pose
    assert np.allclose(perf.joints[0], start)
    with pytest.raises(ValueError, match=f"{movement}: no joints at frame 1 "):
        perf.at(1)  # frame 0 and the next sampled frame, 6, have joints; frame 1 has none


def test_camera_frames_the_whole_movement():
    rng = np.random.default_rng(3)
    setup = camera.draw_setup(rng)
    b = body.draw_proportions(rng)
    perf = movements.perform("deadbug", b, rng, yaw=80.0, depth=1.0, tempo=1.0)
    cam = camera.frame_movement(setup, perf.joints, 0.1, rng)
    uv, depth = cam.project(perf.joints)
    assert (depth > 0).all()
    assert (uv >= 0).all() and (uv[..., 0] < setup.width).all() and (uv[..., 1] < setup.height).all()
    small, _ = cam.scaled(0.5).project(perf.joints)
    np.testing.assert_allclose(small, uv / 2)


def test_hand_labels_swap_left_and_right_when_faulty():
    uv = np.random.default_rng(4).uniform(10, 300, (25, 2))
    depth = np.full(25, 3.0)
    plain, clicks = labels.hand_label(uv, depth, np.random.default_rng(5), 320, 320)
    swapped, swapped_clicks = labels.hand_label(uv, depth, np.random.default_rng(5), 320, 320, swap=True)
    np.testing.assert_array_equal(np.reshape(swapped, (25, 3)), np.reshape(plain, (25, 3))[list(MIRROR)])
    assert swapped_clicks["LKnee"] == clicks["RKnee"] and swapped_clicks["Nose"] == clicks["Nose"]


def _pose_table(n):
    """Hand labels (raw and aligned) of n simulated subjects, without rendering: X, X_align, y, groups."""
    reference = subject.reference_poses(0)
    X, Xa, y, g = [], [], [], []
    for i in range(n):
        sub = subject.simulate(0, subject.TRAINVAL, i)
        for c, (m, (gt, _)) in enumerate(subject.hand_labels(sub).items()):
            aligned = labels.align(gt, reference[m])
            for side in ("left", "right"):
                X.append(gt[side])
                Xa.append(aligned[side])
                y.append(c)
                g.append(i)
    return np.array(X, float), np.array(Xa, float), np.array(y), np.array(g)


def _score(X, y, groups, standardise=False):
    """Subject-wise 4-fold accuracy of a plain classifier: 3 nearest neighbours (on standardised features)."""
    model = (
        make_pipeline(StandardScaler(), KNeighborsClassifier(3)) if standardise else KNeighborsClassifier(3)
    )
    return cross_val_score(model, X, y, groups=groups, cv=GroupKFold(4)).mean()


@pytest.mark.slow
def test_no_shortcuts_images_say_little_poses_say_a_lot(mds189_tiny):
    X, Xa, y, g = _pose_table(16)
    raw, aligned, normalised = _score(X, y, g), _score(Xa, y, g), _score(normalize_poses(X), y, g)
    print(f"pose accuracy: raw {raw:.3f}, aligned {aligned:.3f}, normalised {normalised:.3f}")
    assert aligned > raw + 0.1  # aligned poses cluster tightly; raw pixels are all over the place
    assert normalised > 0.85

    entries = [
        (p, label, p.parts[-4])
        for split in ("train", "val")
        for p, label in mds189_check.read_dataloader_file(mds189_tiny, f"videoframe_data_{split}.txt")[::2]
    ]
    y_img = np.array([MOVEMENTS.index(label) for _, label, _ in entries])
    groups = np.array([sid for _, _, sid in entries])
    thumbs, stats = [], []
    for path, _, _ in entries:
        img = Image.open(path)
        size = img.size
        img.draft("RGB", (size[0] // 4, size[1] // 4))  # decode at a quarter of the size: fast
        a = np.asarray(img.convert("RGB"), dtype=float)
        thumbs.append(np.asarray(img.convert("L").resize((8, 16)), dtype=float).ravel())
        stats.append([*a.mean(axis=(0, 1)), *a.std(axis=(0, 1)), *size, path.stat().st_size])
    thumb_acc = _score(np.array(thumbs), y_img, groups)
    stats_acc = _score(np.array(stats), y_img, groups, standardise=True)
    print(f"image accuracy: 8x16 thumbnails {thumb_acc:.3f}, image statistics {stats_acc:.3f}")
    assert thumb_acc < normalised - 0.3
    assert stats_acc < 0.35  # chance is 0.125
