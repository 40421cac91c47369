"""Tests of mds189_check on the tiny sample and on deliberately broken copies of it."""

import json
import shutil

import numpy as np
import pytest

import mds189_check
import mds189_files
from data_utils import load_mds189
from mds189_constants import MOVEMENTS


@pytest.fixture
def broken(mds189_tiny, tmp_path):
    """A private copy of the tiny sample, to break."""
    return shutil.copytree(mds189_tiny, tmp_path / "copy")


def edit_json(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def edit_lines(path, change):
    lines = path.read_text().splitlines()
    change(lines)
    path.write_text("".join(f"{line}\n" for line in lines))


def errors_of(root, images=False):
    errors, _ = mds189_check.check_root(root, images=images)
    return errors


def labels_of(root, sid, movement):
    return json.loads((root / f"trainval/{sid}/labels/{movement}.json").read_text())


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


def test_video_frames_must_have_the_video_size_of_the_metadata(broken):
    meta = labels_of(broken, "002", "squat")["metadata"]
    frames = sorted((broken / "trainval/002/frames/squat").iterdir())
    for frame in frames[:3]:  # key frames are the same picture at the original size
        shutil.copy(broken / "trainval/002/key_frames/squat_both.jpg", frame)
    errors, warnings = mds189_check.check_root(broken)
    assert errors == [] and warnings == [
        f"{frames[0]}: image is {meta['width']}x{meta['height']}, expected "
        f"{meta['video_width']}x{meta['video_height']} (and 2 more frames of this folder)"
    ]


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


def test_missing_and_extra_video_frames(broken):
    folder = broken / "trainval/001/frames/squat"
    data = labels_of(broken, "001", "squat")
    mv, n = data["movement"], data["metadata"]["number_frames"]
    expected = [f for f in range(0, n, 12) if mv["f_start"] <= f <= mv["f_end"]]
    assert sorted(int(p.stem) for p in folder.iterdir()) == expected == data["pseudo_gt_raw"]["frames"]
    first = folder / f"{expected[0]:04d}.jpg"
    shutil.move(first, folder / f"{expected[-1] + 12:04d}.jpg")  # past the span (or the video)
    shutil.copy(folder / f"{expected[1]:04d}.jpg", folder / f"{expected[1] + 6:04d}.jpg")  # not a 12th
    shutil.copy(folder / f"{expected[1]:04d}.jpg", folder / f"{expected[2]}.jpg")  # not zero-padded
    assert errors_of(broken, images=True)[:-1] == [  # each reported once, images decoded or not
        f"{folder}/{expected[2]}.jpg: not a frame name NNNN.jpg (the zero-padded frame index)",
        f"{folder}: missing frames {expected[0]:04d}.jpg (every 12th video frame inside the movement's span)",
        f"{folder}/{expected[1] + 6:04d}.jpg: not a frame of the movement (every 12th video frame inside "
        "the movement's span)",
        f"{folder}/{expected[-1] + 12:04d}.jpg: not a frame of the movement (every 12th video frame inside "
        "the movement's span)",
    ]


def test_unknown_movements_are_reported(broken):
    sub = broken / "trainval/003"
    shutil.copytree(sub / "frames/reach", sub / "frames/jump")
    shutil.copy(sub / "labels/reach.json", sub / "labels/jump.json")
    for folder in ("key_frames", "key_frames_resized"):
        shutil.copy(sub / folder / "reach_both.jpg", sub / folder / "jump_both.jpg")
    known = ", ".join(f"{m}.json" for m in MOVEMENTS)
    errors = errors_of(broken)
    assert errors[:3] == [
        f"{sub}/labels/jump.json: not a movement's label file (expected one of {known})",
        f"{sub}/frames/jump: not a movement (expected one of {', '.join(MOVEMENTS)})",
        f"{sub}/key_frames/jump_both.jpg: not a key frame (expected one of reach_both.jpg, squat_both.jpg, "
        "inline_left.jpg, inline_right.jpg, lunge_left.jpg, lunge_right.jpg, hamstrings_left.jpg, "
        "hamstrings_right.jpg, stretch_left.jpg, stretch_right.jpg, deadbug_left.jpg, deadbug_right.jpg, "
        "pushup_both.jpg)",
    ]
    assert len(errors) == 4
    assert errors[3].startswith(f"{sub}/key_frames_resized/jump_both.jpg: not a key frame")


def test_dot_files_and_stray_folders_are_ignored_once(broken):
    for folder in ("trainval", "trainval/002", "trainval/002/frames", "trainval/002/frames/lunge",
                   "trainval/002/key_frames", "trainval/002/labels", "test_kaggle_frames"):
        (broken / folder / ".DS_Store").write_bytes(b"\0\1junk")
    shutil.copytree(broken / "trainval/000/labels", broken / "trainval/__MACOSX/labels")
    (broken / "trainval/notes.txt").write_text("x")
    errors, warnings = mds189_check.check_root(broken)
    assert errors == [] and warnings == [
        f"{broken}/trainval/__MACOSX: not a subject folder (named by number); ignored",
        f"{broken}/trainval/notes.txt: not a subject folder (named by number); ignored",
    ]
    assert mds189_files.subject_ids(broken) == [f"{i:03d}" for i in range(6)]
    assert load_mds189(broken)[0].shape == (64, 75)


def test_unknown_label_and_split_leak_in_dataloader_files(broken):
    path = broken / "dataloader_files/videoframe_data_val.txt"
    extra = "trainval/000/frames/reach/" + next((broken / "trainval/000/frames/reach").iterdir()).name
    edit_lines(path, lambda lines: (lines.__setitem__(3, lines[3].rsplit(",", 1)[0] + ",jump"),
                                    lines.append(f"{extra},reach")))
    errors = errors_of(broken)
    assert errors[0] == (
        f"{path}:4: unknown label 'jump'; expected one of reach, squat, inline, lunge, hamstrings, stretch, "
        "deadbug, pushup"
    )
    assert errors[1].startswith(f"{path}:{len(path.read_text().splitlines())}: {extra} is listed again "
                                f"(first at {broken}/dataloader_files/videoframe_data_train.txt:")
    assert errors[2:] == [f"{broken}/dataloader_files: subject 000 appears in both train and val files"]
    with pytest.raises(mds189_files.FormatError, match="videoframe_data_val.txt:4: unknown label 'jump'"):
        mds189_files.read_image_list(path, broken)


def test_dataloader_lines_must_fit_their_path_be_unique_and_cover_every_subject(broken):
    files = broken / "dataloader_files"
    key, video = files / "keyframe_data_train.txt", files / "videoframe_data_train.txt"
    key_lines, video_lines = key.read_text().splitlines(), video.read_text().splitlines()
    reach = next(i for i, line in enumerate(video_lines) if "/frames/reach/" in line)
    edit_lines(video, lambda lines: (lines.__setitem__(reach, lines[reach].replace(",reach", ",pushup")),
                                     lines.append(lines[-1])))
    edit_lines(key, lambda lines: (
        lines.__setitem__(0, lines[0].replace("key_frames_resized", "key_frames")),  # accepted
        lines.__setitem__(1, lines[1].replace("_resized/squat_both.jpg", "/pushup_both.jpg")),
    ))
    for path in (files / "keyframe_data_val.txt", files / "videoframe_data_val.txt"):
        edit_lines(path, lambda lines: lines.__setitem__(slice(None), [x for x in lines if "/005/" not in x]))
    assert errors_of(broken) == [
        f"{key}:2: trainval/000/key_frames/pushup_both.jpg does not fit its label 'squat_both': "
        "expected trainval/<id>/key_frames_resized/squat_both.jpg (or key_frames/)",
        f"{video}:{reach + 1}: {video_lines[reach].split(',')[0]} does not fit its label 'pushup': "
        "expected trainval/<id>/frames/pushup/NNNN.jpg",
        f"{video}:{len(video_lines) + 1}: {video_lines[-1].split(',')[0]} is listed again "
        f"(first at {video}:{len(video_lines)})",
        f"{files}: subject 005 in no keyframe_data_train.txt or keyframe_data_val.txt line",
        f"{files}: subject 005 in no videoframe_data_train.txt or videoframe_data_val.txt line",
    ]
    assert key_lines[0].startswith("trainval/000/key_frames_resized/reach_both.jpg")


def test_the_placeholder_label_belongs_to_the_test_list_only(broken):
    path = broken / "dataloader_files/videoframe_data_train.txt"
    edit_lines(path, lambda lines: lines.__setitem__(0, lines[0].rsplit(",", 1)[0] + ",label"))
    message = (f"{path}:1: the placeholder label 'label' belongs to the test list only; "
               "videoframe_data_train.txt needs one of reach, squat,")
    assert errors_of(broken)[0].startswith(message)
    with pytest.raises(ValueError, match="videoframe_data_train.txt:1: the placeholder label"):
        mds189_files.read_image_list(path, broken)


def test_spans_and_metadata(broken):
    labels = broken / "trainval/002/labels"
    edit_json(labels / "lunge.json", lambda d: d["frames"]["right"].update(f_end=d["movement"]["f_end"] + 3))
    edit_json(labels / "reach.json", lambda d: d["frames"]["right"].update(f_key=d["movement"]["f_start"]))
    edit_json(labels / "inline.json", lambda d: d["metadata"].update(fps=25))
    edit_json(labels / "squat.json", lambda d: d["metadata"].update(number_frames=50.0, width=300.5))
    lunge, squat = labels_of(broken, "002", "lunge"), labels_of(broken, "002", "squat")
    assert errors_of(broken) == [
        f"{labels}/reach.json: frames.left and frames.right differ; a bilateral movement has one key frame",
        f"{labels}/squat.json: metadata.width is 300.5, expected a positive integer",
        f"{labels}/squat.json: metadata.number_frames is 50.0, expected a positive integer",
        f"{labels}/inline.json: metadata.fps is 25, expected 30",
        f"{labels}/lunge.json: frames.right frames {lunge['frames']['right']['f_start']}-"
        f"{lunge['frames']['right']['f_end']} lie outside the movement's {lunge['movement']['f_start']}-"
        f"{lunge['movement']['f_end']}",
    ]
    assert squat["movement"]["f_end"] >= 50  # a float number_frames no longer hides a span past it


def test_keypoint_content(broken):
    labels = broken / "trainval/003/labels"

    def shift(d):
        d["pseudo_gt_raw"]["frames"] = [f + 12 for f in d["pseudo_gt_raw"]["frames"]]

    def bad_box(d):
        d["pseudo_gt_raw"]["bbox"][2][0][2] += 40

    edit_json(labels / "deadbug.json", shift)
    edit_json(labels / "stretch.json", bad_box)
    edit_json(labels / "hamstrings.json", lambda d: d["gt_pose"].update(right=[0] * 75))
    frames = labels_of(broken, "003", "deadbug")["pseudo_gt_raw"]["frames"]
    box = labels_of(broken, "003", "stretch")["pseudo_gt_raw"]["bbox"][2][0]
    errors, warnings = mds189_check.check_root(broken, images=False)
    assert errors == [
        f"{labels}/deadbug.json: pseudo_gt_raw.frames are not the movement's video frames (every 12th frame "
        f"of its span): missing {frames[0] - 12:04d}; extra {frames[-1]:04d}"
    ]
    assert warnings == [
        f"{labels}/hamstrings.json: gt_pose.right: no labelled joint (every c = 0); the pose cannot be "
        "normalised",
        f"{labels}/stretch.json: pseudo_gt_raw frame #2 person 0: bbox {box} does not fit the person's "
        "visible keypoints",
    ]
    load_mds189(broken)  # raw poses load
    message = r"003/labels/hamstrings.json: gt_pose.right: fewer than two distinct labelled joints, so the"
    with pytest.raises(ValueError, match=message + r" pose cannot be normalised \(1 such pose; load with"):
        load_mds189(broken, normalize=True)


def test_test_frames_must_be_numbered_without_gaps_and_match_the_format_file(broken):
    (broken / "test_kaggle_frames/0001.jpg").unlink()
    n = len(list((broken / "test_kaggle_frames").iterdir()))
    errors = errors_of(broken)
    assert errors[0] == (
        f"{broken}/test_kaggle_frames: frames must be 0000.jpg ... {n:04d}.jpg without gaps; missing 0001.jpg"
    )
    assert errors[1] == (
        f"{broken}/kaggle_submission_format.csv:3: Ids must be the test frame file names in file order "
        f"({n} rows); found '0001.jpg' where 0002.jpg belongs"
    )


def test_the_format_file_says_what_is_wrong(broken):
    fmt = broken / "kaggle_submission_format.csv"
    n = len(fmt.read_text().splitlines()) - 1
    edit_lines(fmt, lambda lines: lines.__setitem__(slice(4, 6), lines[5:3:-1]))  # rows 4 and 5 swapped
    test_list = broken / "dataloader_files/videoframe_data_test.txt"
    edit_lines(test_list, lambda lines: lines.pop())
    assert errors_of(broken) == [
        f"{fmt}:5: Ids must be the test frame file names in file order ({n} rows); "
        "found '0004.jpg' where 0003.jpg belongs",
        f"{test_list}: must list test_kaggle_frames in file order ({n} frames); "
        f"it stops after {n - 1} entries, before {n - 1:04d}.jpg",
    ]


def test_blank_line_in_the_format_file_is_an_error_not_a_crash(broken):
    fmt = broken / "kaggle_submission_format.csv"
    n = len(fmt.read_text().splitlines()) - 1
    fmt.write_text(fmt.read_text() + "\n")
    assert errors_of(broken) == [
        f"{fmt}:{n + 2}: Ids must be the test frame file names in file order ({n} rows); a blank line"
    ]


def test_test_frames_sort_by_number(tmp_path):
    folder = tmp_path / "test_kaggle_frames"
    folder.mkdir()
    names = [f"{i:04d}.jpg" for i in range(10001)]  # 9999.jpg, then 10000.jpg
    for name in names:
        (folder / name).touch()
    (tmp_path / "kaggle_submission_format.csv").write_text(
        "Id,Category\n" + "".join(f"{n},predicted_label\n" for n in names)
    )
    assert mds189_check._check_test(tmp_path, images=False) == ([], names)


def test_keypoints_outside_the_image_are_warnings(broken, capsys):
    path = broken / "trainval/005/labels/stretch.json"
    edit_json(path, lambda d: d["gt_pose"]["right"].__setitem__(slice(0, 3), [-50.0, 10.0, 1]))
    errors, warnings = mds189_check.check_root(broken, images=False)
    meta = json.loads(path.read_text())["metadata"]
    assert errors == [] and warnings == [
        f"{path}: gt_pose.right: joint 0 (Nose) at (-50.0, 10.0) lies outside "
        f"the {meta['width']}x{meta['height']} image"
    ]


def test_cli_exits_non_zero_and_names_the_file(broken, capsys):
    (broken / "trainval/003/labels/pushup.json").write_text("{")
    assert mds189_check.main([str(broken), "--no-images"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith(f"{broken}/trainval/003/labels/pushup.json: not valid JSON")


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
    assert errors_of(broken.name)[1:] == [
        f"{broken.name}/dataloader_files: subject 000 appears in both train and val files"
    ]


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
    edit_json(labels / "inline.json", lambda d: d["frames"]["left"].update(f_key=-5))
    edit_json(labels / "lunge.json", lambda d: d.pop("gt_pose_dict"))
    edit_json(labels / "squat.json", lambda d: (d.pop("metadata"), d["gt_pose_align"]["left"].pop()))
    for got, expected in zip(load_mds189(broken), clean, strict=True):
        np.testing.assert_array_equal(got, expected)
    assert errors_of(broken) == [
        f"{labels}/reach.json: pseudo_gt_raw needs frames, num_people, 2d_keypoints and bbox",
        f"{labels}/squat.json: missing key metadata",
        f"{labels}/inline.json: frames.left frames out of order: "
        f"{json.loads((labels / 'inline.json').read_text())['frames']['left']}",
        f"{labels}/lunge.json: missing key gt_pose_dict",
    ]
    assert mds189_check.main([str(broken), "--no-images"]) == 1
    assert "reach.json: pseudo_gt_raw needs" in capsys.readouterr().out
    with pytest.raises(mds189_files.FormatError, match="pseudo_gt_raw needs frames"):
        mds189_files.read_label_file(labels / "reach.json")  # all keys by default
    assert "gt_pose" in mds189_files.read_label_file(labels / "reach.json", keys=("gt_pose", "metadata"))
    with pytest.raises(ValueError, match=r"unknown label keys \['gt_poses'\]"):
        mds189_files.read_label_file(labels / "reach.json", keys=("gt_poses",))
    with pytest.raises(mds189_files.FormatError, match="squat.json: gt_pose_align.left: expected a list"):
        load_mds189(broken, debug=True)  # the debug loader reads gt_pose_align


def test_faults_in_keys_the_loader_reads_still_block_it(broken):
    path = broken / "trainval/001/labels/inline.json"
    edit_json(path, lambda d: d["movement"].update(label="lunge", f_end=-1))
    with pytest.raises(mds189_files.FormatError,
                       match=r"inline.json: movement.label is 'lunge', expected 'inline'"):
        load_mds189(broken)
    edit_json(path, lambda d: d["movement"].update(label="inline"))
    with pytest.raises(mds189_files.FormatError, match=r"inline.json: movement frames out of order"):
        load_mds189(broken)
    edit_json(path, lambda d: d["movement"].update(f_end=d["metadata"]["number_frames"] + 5))
    load_mds189(broken)  # the loader does not read the metadata; the checker compares them
    n = labels_of(broken, "001", "inline")["metadata"]["number_frames"]
    assert f"{path}: movement.f_end {n + 5} >= metadata.number_frames {n}" in errors_of(broken)
    edit_json(path, lambda d: d.pop("gt_pose"))
    with pytest.raises(mds189_files.FormatError, match="inline.json: missing key gt_pose"):
        load_mds189(broken)
