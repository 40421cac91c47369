"""Tests of the sample generator: layout, label schema, geometry, determinism, and no shortcuts."""

import csv
import functools
import hashlib
import json
import multiprocessing
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mds189_check
import mds189_files
from data_utils import load_mds189, normalize_poses, procrustes_align, split_subjects
from mds189_constants import BILATERAL, JOINT_INDEX, JOINTS, KEY_FRAME_LABELS, MIRROR, MOVEMENTS, class_index
from mds189_sample import __main__ as cli
from mds189_sample import body, build, camera, labels, movements, render, subject
from tests.conftest import TINY


def read_lines(path):
    return [line.rsplit(",", 1) for line in path.read_text().splitlines()]


def read_labels(root, sid, movement):
    return json.loads((root / "trainval" / sid / "labels" / f"{movement}.json").read_text())


def image_list(root, name):
    return mds189_files.read_image_list(root / "dataloader_files" / name, root)


@functools.lru_cache(maxsize=2)
def simulated(n, kind=subject.TRAINVAL):
    """The first n subjects of seed 0, simulated without images."""
    return tuple(subject.simulate(0, kind, i) for i in range(n))


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
        mds189_files.DATALOADER_FILES
    )
    for name in ("kaggle_submission_format.csv", "README.md", "test_kaggle_labels.csv", "sample_faults.csv"):
        assert (root / name).is_file()
    assert not root.with_name(root.name + ".partial").exists()
    assert mds189_check.check_root(root) == ([], [])


def test_label_files_follow_the_schema(mds189_tiny):
    for path in sorted((mds189_tiny / "trainval").glob("*/labels/*.json")):
        data = json.loads(path.read_text())
        m = path.stem
        assert list(data) == list(mds189_files.LABEL_KEYS)
        assert list(data["metadata"]) == list(mds189_files.METADATA_KEYS)
        assert data["movement"]["label"] == m and data["movement"]["bilateral"] == (m in BILATERAL)
        sides = ("both", "both") if m in BILATERAL else ("left", "right")
        for side, key_side in zip(("left", "right"), sides, strict=True):
            assert data["frames"][side]["filename"] == f"key_frames/{m}_{key_side}.jpg"
            pose = data["gt_pose"][side]
            labelled = [j for j in range(25) if pose[3 * j + 2] == 1]
            assert sorted(data["gt_pose_dict"][side]) == sorted(JOINTS[j] for j in labelled)
            for j in labelled:  # gt_pose keeps the last click
                assert data["gt_pose_dict"][side][JOINTS[j]][-1] == pose[3 * j : 3 * j + 2]
        if m in BILATERAL:
            assert data["frames"]["left"] == data["frames"]["right"]
            assert data["gt_pose"]["left"] == data["gt_pose"]["right"]
        else:  # left, then right
            assert data["frames"]["left"]["f_end"] < data["frames"]["right"]["f_start"]
        meta = data["metadata"]
        assert meta["fps"] == 30
        assert meta["video_width_scale"] * meta["width"] == pytest.approx(224, abs=1e-3)
        assert meta["video_height_scale"] * meta["height"] == pytest.approx(448, abs=1e-3)
        mv, n = data["movement"], meta["number_frames"]
        expected = [f for f in range(0, n, 12) if mv["f_start"] <= f <= mv["f_end"]]  # the format's rule
        files = sorted((path.parents[1] / "frames" / m).iterdir())
        assert [p.name for p in files] == [f"{f:04d}.jpg" for f in expected]
        assert data["pseudo_gt_raw"]["frames"] == expected


def test_images_match_the_metadata_and_keypoints_lie_inside(mds189_tiny):
    for folder in sorted((mds189_tiny / "trainval").iterdir()):
        data = json.loads((folder / "labels" / "lunge.json").read_text())
        meta = data["metadata"]
        assert Image.open(folder / "key_frames/lunge_left.jpg").size == (meta["width"], meta["height"])
        assert Image.open(folder / "key_frames_resized/lunge_left.jpg").size == (224, 448)
        frame = next((folder / "frames" / "lunge").iterdir())
        assert Image.open(frame).size == (meta["video_width"], meta["video_height"])
        for side in ("left", "right"):
            p = np.array(data["gt_pose"][side]).reshape(25, 3)
            seen = p[p[:, 2] == 1]
            assert len(seen) >= 15
            assert (seen[:, 0] >= 0).all() and (seen[:, 0] < meta["width"]).all()
            assert (seen[:, 1] >= 0).all() and (seen[:, 1] < meta["height"]).all()
        for people in data["pseudo_gt_raw"]["2d_keypoints"]:
            for person in people:
                p = np.array(person).reshape(25, 3)
                assert (p[:, :2] >= 0).all()
                assert (p[:, 0] < meta["video_width"]).all() and (p[:, 1] < meta["video_height"]).all()


def test_mostly_portrait_phones_and_squashed_resized_key_frames(mds189_tiny):
    setups = [sub.setup for sub in simulated(60)]
    portrait = np.mean([s.height > s.width for s in setups])
    assert 0.7 <= portrait < 1  # about 88% portrait, the rest landscape (the README says so)
    for sid, setup in zip(sorted((mds189_tiny / "trainval").iterdir()), setups, strict=False):
        meta = read_labels(mds189_tiny, sid.name, "squat")["metadata"]
        assert (meta["width"], meta["height"]) == (setup.width, setup.height)
    assert "12% in landscape" in (mds189_tiny / "README.md").read_text()


def test_detections_are_in_video_pixels(mds189_tiny):
    """Near each key frame, OpenPose's person is the hand-labelled one scaled to the video size."""
    errors = []
    for path in sorted((mds189_tiny / "trainval").glob("*/labels/*.json")):
        data = json.loads(path.read_text())
        meta, raw = data["metadata"], data["pseudo_gt_raw"]
        scale = meta["video_width"] / meta["width"]
        for side in ("left", "right"):
            near = int(np.argmin([abs(f - data["frames"][side]["f_key"]) for f in raw["frames"]]))
            gt = np.reshape(data["gt_pose"][side], (25, 3))
            extent = np.ptp(gt[gt[:, 2] > 0, :2], axis=0).max() * scale
            for person in raw["2d_keypoints"][near]:
                p = np.reshape(person, (25, 3))
                both = (gt[:, 2] > 0) & (p[:, 2] > 0)
                if both.sum() >= 5:
                    error = np.linalg.norm(p[both, :2] - scale * gt[both, :2], axis=1)
                    errors.append(np.median(error) / extent)
    assert len(errors) > 80 and np.median(errors) < 0.08


def test_label_files_resolve_and_split_by_subject(mds189_tiny):
    root = mds189_tiny
    train_ids, val_ids = split_subjects(f"{i:03d}" for i in range(TINY["subjects"]))
    for split, ids in (("train", train_ids), ("val", val_ids)):
        key = image_list(root, f"keyframe_data_{split}.txt")
        assert len(key) == 13 * len(ids)
        assert {e.path.parts[-3] for e in key} == set(ids)
        assert all(e.path.parent.name == "key_frames_resized" and e.path.stem == e.label for e in key)
        video = image_list(root, f"videoframe_data_{split}.txt")
        assert {e.path.parts[-4] for e in video} == set(ids)
        assert all(e.path.parent.name == e.label for e in video)
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


def test_overwrite_replaces_only_an_empty_folder_or_a_previous_sample(tmp_path, capsys):
    data = tmp_path / "data"
    (data / "body25_posekit").mkdir(parents=True)
    (data / "body25_posekit/samples.csv.gz").write_bytes(b"precious")
    with pytest.raises(SystemExit) as e:
        cli.main(["--out", str(data), "--subjects", "2", "--overwrite", "--workers", "1"])
    assert e.value.code == 2 and "is not a generated sample" in capsys.readouterr().err
    assert (data / "body25_posekit/samples.csv.gz").read_bytes() == b"precious"
    real = tmp_path / "hw6_mds189"  # the real set has the layout but not the sample's README
    for name in ("trainval", "test_kaggle_frames", "dataloader_files"):
        (real / name).mkdir(parents=True)
    (real / "README.md").write_text("# my notes\n")
    with pytest.raises(FileExistsError, match="refuses to delete it"):
        build.build(real, subjects=2, test_subjects=1, overwrite=True)
    sample = tmp_path / "sample"
    sample.mkdir()  # empty: replaced
    build.build(sample, subjects=2, test_subjects=1, workers=1, overwrite=True)
    assert mds189_files.subject_ids(sample) == ["000", "001"]
    (sample / ".DS_Store").write_bytes(b"x")
    assert build._is_replaceable(sample)  # a previous sample
    (sample / "README.md").unlink()
    assert build._is_replaceable(sample)  # still recognisable by its sample_faults.csv
    (sample / "notes.txt").write_text("mine")
    assert not build._is_replaceable(sample)


def test_workers_fall_back_to_the_default_start_method_without_fork(monkeypatch):
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert build._pool_context().get_start_method() == multiprocessing.get_start_method()
    monkeypatch.undo()
    if "fork" in multiprocessing.get_all_start_methods():
        assert build._pool_context().get_start_method() == "fork"


def test_default_test_subjects_give_about_the_real_test_set_size():
    n = max(1, round(build.TEST_SHARE * 300))
    frames = sum(len(subject.video_frames(perf)) for sub in simulated(n, subject.TEST)
                 for perf in sub.performances.values())
    assert abs(frames - 6197) < 0.1 * 6197
    assert round(build.TEST_SHARE * 60) in (8, 9, 10)  # the demo sample keeps about its size


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


def test_faults_are_drawn_at_their_rates_and_never_for_the_reference_subject():
    subjects = simulated(60)
    assert subjects[0].faults == ()
    kinds = [f.kind for sub in subjects for f in sub.faults]
    for kind, rate in subject.FAULTS.items():
        chances = 60 * (5 if kind == "key_frames_swapped" else 13)
        assert 0 < kinds.count(kind) < 4 * rate * chances + 3, kind
    wrong = [f for sub in subjects for f in sub.faults if f.kind == "wrong_movement_key_frame"]
    assert all(f.source in MOVEMENTS and f.source != f.movement for f in wrong)


def test_hand_label_faults_are_the_clean_labels_mirrored():
    for sub in simulated(60):
        faulty, clean = subject.hand_labels(sub), subject.hand_labels(replace(sub, faults=()))
        for m in MOVEMENTS:
            for side in ("left", "right"):
                got, want = np.reshape(faulty[m][0][side], (25, 3)), np.reshape(clean[m][0][side], (25, 3))
                swapped = sub.has_fault(m, "left" if m in BILATERAL else side, "lr_keypoint_swap")
                np.testing.assert_array_equal(got, want[list(MIRROR)] if swapped else want)


def _changed_files(folder, other):
    """Files of ``folder`` (relative paths) whose bytes differ in ``other``."""
    return {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and p.read_bytes() != (other / p.relative_to(folder)).read_bytes()
    }


def _fault_files(rows):
    """The files that (subject, movement, side, fault) rows of sample_faults.csv change."""
    files = set()
    for _, m, side, fault in rows:
        if fault == "lr_keypoint_swap":
            files.add(f"labels/{m}.json")
        else:
            sides = ("left", "right") if side == "both" else ("both",) if m in BILATERAL else (side,)
            files |= {f"{folder}/{m}_{s}.jpg" for folder in ("key_frames", "key_frames_resized")
                      for s in sides}
    return files


def test_the_faults_listed_in_sample_faults_csv_are_in_the_files(mds189_tiny, tmp_path, monkeypatch):
    """Regenerated without faults, a subject differs in exactly the files its listed faults change."""
    with open(mds189_tiny / "sample_faults.csv", newline="") as f:
        listed = [tuple(row) for row in list(csv.reader(f))[1:]]
    assert listed  # the tiny sample has some; subjects of seed 0 bring the other kinds of fault
    faulty = {sid: (mds189_tiny, [r for r in listed if r[0] == sid]) for sid in {r[0] for r in listed}}
    for kind in sorted(set(subject.FAULTS) - {r[3] for r in listed}):
        i = next(i for i, sub in enumerate(simulated(60)) if any(f.kind == kind for f in sub.faults))
        records = subject.write_trainval(tmp_path / "faulty", TINY["seed"], i)
        faulty[f"{i:03d}"] = (tmp_path / "faulty", records["faults"])
    monkeypatch.setattr(subject, "FAULTS", dict.fromkeys(subject.FAULTS, 0.0))
    for sid, (root, rows) in sorted(faulty.items()):
        subject.write_trainval(tmp_path / "clean", TINY["seed"], int(sid))
        changed = _changed_files(tmp_path / "clean/trainval" / sid, root / "trainval" / sid)
        assert changed == _fault_files(rows), sid


def test_gt_pose_align_is_gt_pose_procrustes_aligned_to_subject_000(mds189_tiny):
    for m in MOVEMENTS:
        reference = read_labels(mds189_tiny, "000", m)["gt_pose"]
        for sid in sorted(p.name for p in (mds189_tiny / "trainval").iterdir()):
            data = read_labels(mds189_tiny, sid, m)
            for side in ("left", "right"):
                aligned = procrustes_align(data["gt_pose"][side], reference[side])
                np.testing.assert_allclose(data["gt_pose_align"][side], aligned, atol=0.011)


def test_the_room_floor_is_the_ground_plane_each_camera_sees():
    rng = np.random.default_rng(6)
    room = replace(render.draw_room(rng), planks=0.0, decorations=())
    hits = {"floor": [], "wall": []}  # whether the pixel of a floor (wall) point has the floor (wall) colour
    for sub in simulated(6):
        for m in ("pushup", "deadbug", "squat"):
            cam, perf = sub.cameras[m], sub.performances[m]
            w, h = sub.setup.width, sub.setup.height
            img = render.paint_room(room, cam, w, h, np.zeros((h, w, 1))).astype(float)
            ground = perf.at(perf.sides["left"][2]) * [1, 0, 1]  # the floor under every joint
            behind = np.array([[x, y, -room.wall_gap] for x in (-1, 0, 1) for y in (0.5, 1, 1.5, 2)])
            for part, points in (("floor", ground), ("wall", behind)):
                uv, _ = cam.project(points)
                inside = (uv[:, 0] >= 2) & (uv[:, 0] < w - 2) & (uv[:, 1] >= 2) & (uv[:, 1] < h - 2)
                pixels = img[uv[inside, 1].astype(int), uv[inside, 0].astype(int)]
                hits[part] += list(np.abs(pixels - getattr(room, part)).max(axis=1) <= 2)
    assert len(hits["floor"]) > 200 and np.mean(hits["floor"]) > 0.95
    assert len(hits["wall"]) > 20 and np.mean(hits["wall"]) > 0.95


def test_hand_labels_swap_left_and_right_when_faulty():
    uv = np.random.default_rng(4).uniform(10, 300, (25, 2))
    depth = np.full(25, 3.0)
    plain, clicks = labels.hand_label(uv, depth, np.random.default_rng(5), 320, 320)
    swapped, swapped_clicks = labels.hand_label(uv, depth, np.random.default_rng(5), 320, 320, swap=True)
    np.testing.assert_array_equal(np.reshape(swapped, (25, 3)), np.reshape(plain, (25, 3))[list(MIRROR)])
    assert swapped_clicks["LKnee"] == clicks["RKnee"] and swapped_clicks["Nose"] == clicks["Nose"]


def _score(X, y, groups, standardise=False):
    """Subject-wise 4-fold accuracy of a plain classifier: 3 nearest neighbours (on standardised features)."""
    model = (
        make_pipeline(StandardScaler(), KNeighborsClassifier(3)) if standardise else KNeighborsClassifier(3)
    )
    return cross_val_score(model, X, y, groups=groups, cv=GroupKFold(4)).mean()


def _image_features(entries):
    """8x16 grey thumbnails and plain statistics (colour mean and spread, size, file size) of images."""
    thumbs, stats = [], []
    for entry in entries:
        img = Image.open(entry.path)
        size = img.size
        img.draft("RGB", (size[0] // 4, size[1] // 4))  # decode at a quarter of the size: fast
        a = np.asarray(img.convert("RGB"), dtype=float)
        thumbs.append(np.asarray(img.convert("L").resize((8, 16)), dtype=float).ravel())
        stats.append([*a.mean(axis=(0, 1)), *a.std(axis=(0, 1)), *size, entry.path.stat().st_size])
    return np.array(thumbs), np.array(stats)


@pytest.mark.slow
def test_no_shortcuts_images_say_little_poses_say_a_lot(mds189_tiny):
    X_tr, y_tr, X_val, y_val, g_tr, g_val = load_mds189(mds189_tiny, return_groups=True)
    X, y, g = np.r_[X_tr, X_val], np.r_[y_tr, y_val], np.r_[g_tr, g_val]
    A_tr, _, A_val, _ = load_mds189(mds189_tiny, debug=True)
    raw, aligned = _score(X, y, g), _score(np.r_[A_tr, A_val], y, g)
    normalised = _score(normalize_poses(X), y, g)
    print(f"pose accuracy: raw {raw:.3f}, aligned {aligned:.3f}, normalised {normalised:.3f}")
    assert aligned > raw + 0.2  # aligned poses cluster tightly; raw pixels are all over the place
    assert normalised > 0.65

    for kind, step in (("keyframe", 1), ("videoframe", 2)):  # the CNNs train on both
        lists = [image_list(mds189_tiny, f"{kind}_data_{split}.txt") for split in ("train", "val")]
        entries = [e for entries in lists for e in entries][::step]
        y_img = np.array([class_index(e.label) for e in entries])
        groups = np.array([e.path.relative_to(mds189_tiny).parts[1] for e in entries])
        thumbs, stats = _image_features(entries)
        thumb_acc, stats_acc = _score(thumbs, y_img, groups), _score(stats, y_img, groups, standardise=True)
        print(f"{kind} image accuracy: 8x16 thumbnails {thumb_acc:.3f}, image statistics {stats_acc:.3f}")
        assert thumb_acc < normalised - 0.3
        assert stats_acc < 0.35  # chance is 0.125
