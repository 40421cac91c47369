"""Tests of mds189_check on the tiny sample and on deliberately broken copies of it."""

import json
import shutil

import numpy as np
import pytest

import mds189_check
from data_utils import load_mds189


@pytest.fixture
def broken(mds189_tiny, tmp_path):
    """A private copy of the tiny sample, to break."""
    return shutil.copytree(mds189_tiny, tmp_path / "copy")


def edit_json(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def errors_of(root, images=False):
    errors, _ = mds189_check.check_root(root, images=images)
    return errors


def test_the_sample_passes_and_the_cli_exits_zero(mds189_tiny, capsys):
    assert mds189_check.main([str(mds189_tiny)]) == 0
    assert "0 error(s), 0 warning(s)" in capsys.readouterr().err


def test_missing_file(broken):
    (broken / "trainval/001/key_frames_resized/squat_both.jpg").unlink()
    (broken / "trainval/002/labels/reach.json").unlink()
    assert errors_of(broken) == [
        f"{broken}/trainval/001/key_frames_resized/squat_both.jpg: missing file",
        f"{broken}/trainval/002/labels/reach.json: missing file",
        f"{broken}/dataloader_files/keyframe_data_train.txt:15: image "
        f"trainval/001/key_frames_resized/squat_both.jpg not found "
        f"(looked for {broken}/trainval/001/key_frames_resized/squat_both.jpg)",
    ]


def test_corrupt_and_wrongly_sized_jpegs(broken):
    frame = next((broken / "trainval/003/frames/lunge").iterdir())
    frame.write_bytes(frame.read_bytes()[:300])
    resized = broken / "trainval/000/key_frames_resized/pushup_both.jpg"
    shutil.copy(broken / "trainval/000/key_frames/pushup_both.jpg", resized)
    errors = errors_of(broken, images=True)
    assert len(errors) == 2
    assert errors[0].startswith(f"{resized}: image is ") and errors[0].endswith("expected 224x448")
    assert errors[1].startswith(f"{frame}: unreadable image:")


def test_bad_json_key_wrong_length_and_nan(broken):
    labels = broken / "trainval/004/labels"
    edit_json(labels / "squat.json", lambda d: d.update(gt_poses=d.pop("gt_pose")))
    edit_json(labels / "lunge.json", lambda d: d["gt_pose"]["left"].pop())
    text = (labels / "deadbug.json").read_text()
    (labels / "deadbug.json").write_text(
        text.replace('"gt_pose": {"left": [', '"gt_pose": {"left": [NaN, ', 1)
    )
    edit_json(labels / "reach.json", lambda d: d["pseudo_gt_raw"]["2d_keypoints"][0][0].__setitem__(2, -1))
    edit_json(labels / "inline.json", lambda d: d["metadata"].pop("fps"))
    assert errors_of(broken) == [
        f"{labels}/reach.json: pseudo_gt_raw frame #0 person 0: joint 0 (Nose) has c = -1, "
        "expected a confidence >= 0",
        f"{labels}/squat.json: missing key gt_pose",
        f"{labels}/inline.json: metadata lacks fps",
        f"{labels}/lunge.json: gt_pose.left: expected a list of 75 numbers, got 74",
        f"{labels}/deadbug.json: not valid JSON: NaN is not allowed",
    ]


def test_unknown_label_and_split_leak_in_dataloader_files(broken):
    path = broken / "dataloader_files/videoframe_data_val.txt"
    lines = path.read_text().splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0] + ",jump"
    lines.append(
        "trainval/000/frames/reach/" + next((broken / "trainval/000/frames/reach").iterdir()).name + ",reach"
    )
    path.write_text("\n".join(lines) + "\n")
    assert errors_of(broken) == [
        f"{path}:4: unknown label 'jump'; expected one of reach, squat, inline, lunge, hamstrings, stretch, "
        "deadbug, pushup",
        f"{broken}/dataloader_files: subject 000 appears in both train and val files",
    ]
    with pytest.raises(mds189_check.FormatError, match="videoframe_data_val.txt:4: unknown label 'jump'"):
        mds189_check.read_dataloader_file(broken, "videoframe_data_val.txt")


def test_test_frames_must_be_numbered_without_gaps_and_match_the_format_file(broken):
    (broken / "test_kaggle_frames/0001.jpg").unlink()
    errors = errors_of(broken)
    assert (
        errors[0] == f"{broken}/test_kaggle_frames: frames must be 0000.jpg ... "
        f"{len(list((broken / 'test_kaggle_frames').iterdir())) - 1:04d}.jpg without gaps; found 0002.jpg"
    )
    assert any(e.startswith(f"{broken}/kaggle_submission_format.csv: Ids must be") for e in errors)


def test_keypoints_outside_the_image_are_warnings(broken, capsys):
    path = broken / "trainval/005/labels/stretch.json"
    edit_json(path, lambda d: d["gt_pose"]["right"].__setitem__(slice(0, 3), [-50.0, 10.0, 1]))
    errors, warnings = mds189_check.check_root(broken, images=False)
    assert errors == [] and warnings == [
        f"{path}: gt_pose.right: joint 0 (Nose) at (-50.0, 10.0) lies outside "
        f"the {json.loads(path.read_text())['metadata']['width']}x"
        f"{json.loads(path.read_text())['metadata']['height']} image"
    ]


def test_cli_exits_non_zero_and_names_the_file(broken, capsys):
    (broken / "trainval/003/labels/pushup.json").write_text("{")
    assert mds189_check.main([str(broken), "--no-images"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith(f"{broken}/trainval/003/labels/pushup.json: not valid JSON")


def test_resolve_reroots_foreign_absolute_paths(tmp_path):
    assert mds189_check.resolve(tmp_path, "trainval/001/x.jpg") == tmp_path / "trainval/001/x.jpg"
    foreign = "/home/someone/hw6_mds189/trainval/001/key_frames/squat_both.jpg"
    assert mds189_check.resolve(tmp_path, foreign) == tmp_path / "trainval/001/key_frames/squat_both.jpg"
    nested = "/mnt/trainval/backup/hw6_mds189/test_kaggle_frames/0042.jpg"  # the last anchor counts
    assert mds189_check.resolve(tmp_path, nested) == tmp_path / "test_kaggle_frames/0042.jpg"


def test_absolute_paths_in_label_files_do_not_fake_a_split_leak(broken, monkeypatch):
    # label files holding absolute paths that exist, checked from a relative root: no false leak
    for name in ("keyframe_data_train.txt", "keyframe_data_val.txt"):
        path = broken / "dataloader_files" / name
        path.write_text("".join(f"{broken.resolve()}/{line}\n" for line in path.read_text().splitlines()))
    monkeypatch.chdir(broken.parent)
    assert errors_of(broken.name) == []
    path = broken / "dataloader_files/keyframe_data_val.txt"
    train_line = (broken / "dataloader_files/keyframe_data_train.txt").read_text().splitlines()[0]
    path.write_text(path.read_text() + train_line + "\n")
    assert errors_of(broken.name) == [
        f"{broken.name}/dataloader_files: subject 000 appears in both train and val files"
    ]


def test_blank_line_in_the_format_file_is_an_error_not_a_crash(broken):
    fmt = broken / "kaggle_submission_format.csv"
    fmt.write_text(fmt.read_text() + "\n")
    assert errors_of(broken) == [f"{fmt}: Ids must be the test frame file names in order "
                                 f"({len(list((broken / 'test_kaggle_frames').iterdir()))} rows), got "
                                 f"{len(fmt.read_text().splitlines()) - 1} rows"]


def test_an_unexpected_gt_pose_dict_format_warns_but_never_blocks_loading(broken):
    path = broken / "trainval/001/labels/lunge.json"
    edit_json(path, lambda d: d["gt_pose_dict"].update(left={"Chin": [[1, 2]]}, right={"Nose": [{"x": 1}]}))
    errors, warnings = mds189_check.check_root(broken, images=False)
    assert errors == [] and warnings == [
        f"{path}: gt_pose_dict.left: unknown joint 'Chin'",
        f"{path}: gt_pose_dict.right.Nose: clicks must be a list of [x, y] pairs",
    ]
    assert load_mds189(broken)[0].shape == (64, 75)
    edit_json(path, lambda d: d["gt_pose_dict"].pop("right"))
    assert errors_of(broken) == [f"{path}: gt_pose_dict needs 'left' and 'right'"]


def test_faults_in_keys_the_loader_does_not_read_are_reported_but_do_not_block_loading(broken, capsys):
    clean = load_mds189(broken)
    labels = broken / "trainval/002/labels"
    edit_json(labels / "reach.json", lambda d: d["pseudo_gt_raw"].pop("bbox"))
    edit_json(labels / "squat.json", lambda d: d["frames"]["left"].update(f_key=-5))
    edit_json(labels / "lunge.json", lambda d: d.pop("gt_pose_dict"))
    for got, expected in zip(load_mds189(broken), clean, strict=True):
        np.testing.assert_array_equal(got, expected)
    assert errors_of(broken) == [
        f"{labels}/reach.json: pseudo_gt_raw needs frames, num_people, 2d_keypoints and bbox",
        f"{labels}/squat.json: frames.left frames out of order: "
        f"{json.loads((labels / 'squat.json').read_text())['frames']['left']}",
        f"{labels}/lunge.json: missing key gt_pose_dict",
    ]
    assert mds189_check.main([str(broken), "--no-images"]) == 1
    assert "reach.json: pseudo_gt_raw needs" in capsys.readouterr().out
    with pytest.raises(mds189_check.FormatError, match="pseudo_gt_raw needs frames"):
        mds189_check.read_label_file(labels / "reach.json")  # all keys by default
    assert "gt_pose" in mds189_check.read_label_file(labels / "reach.json", keys=("gt_pose", "metadata"))
    with pytest.raises(ValueError, match=r"unknown label keys \['gt_poses'\]"):
        mds189_check.read_label_file(labels / "reach.json", keys=("gt_poses",))


def test_faults_in_keys_the_loader_reads_still_block_it(broken):
    path = broken / "trainval/001/labels/inline.json"
    edit_json(path, lambda d: d["movement"].update(label="lunge", f_end=-1))
    with pytest.raises(mds189_check.FormatError,
                       match=r"inline.json: movement.label is 'lunge', expected 'inline'"):
        load_mds189(broken)
    edit_json(path, lambda d: d["movement"].update(label="inline"))
    with pytest.raises(mds189_check.FormatError, match=r"inline.json: movement frames out of order"):
        load_mds189(broken)
    edit_json(path, lambda d: d["movement"].update(f_end=d["metadata"]["number_frames"] + 5))
    with pytest.raises(mds189_check.FormatError,
                       match=r"inline.json: movement.f_end \d+ >= metadata.number_frames"):
        load_mds189(broken)
    edit_json(path, lambda d: d.pop("gt_pose_align"))
    with pytest.raises(mds189_check.FormatError, match="inline.json: missing key gt_pose_align"):
        load_mds189(broken)
