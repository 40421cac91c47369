import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from mds189_constants import KEY_FRAME_LABELS, MOVEMENTS
from mds189_files import FormatError
from problem4 import mds189
from problem4.mds189 import UNKNOWN, Mds189, find_bad_images, load_rgb


def write_image(path, mode="RGB", size=(12, 20), color=(200, 30, 30), **save_kwargs):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color).save(path, **save_kwargs)
    return path


def write_labels(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


def test_label_mapping_key_frame_video_and_placeholder(tmp_path):
    labels = list(KEY_FRAME_LABELS) + list(MOVEMENTS) + ["label"]
    label_file = write_labels(tmp_path / "l.txt", [f"x{i}.jpg,{lab}" for i, lab in enumerate(labels)])
    ds = Mds189(label_file, tmp_path, labels=labels)
    assert len(KEY_FRAME_LABELS) == 13 and ds.labels == labels and ds.lines == list(range(1, 23))
    assert ds.listed == [f"x{i}.jpg" for i in range(22)] and ds.paths[0] == tmp_path / "x0.jpg"
    by_label = dict(zip(ds.labels, ds.targets, strict=True))
    # the course's PyTorch order: reach=0, squat, inline, lunge, hamstrings, stretch, deadbug, pushup=7
    assert by_label["reach_both"] == by_label["reach"] == 0
    assert by_label["inline_left"] == by_label["inline_right"] == by_label["inline"] == 2
    assert by_label["deadbug_left"] == by_label["deadbug_right"] == 6
    assert by_label["pushup_both"] == 7
    assert by_label["label"] == UNKNOWN == -1
    assert [by_label[m] for m in MOVEMENTS] == list(range(8))


@pytest.mark.parametrize(
    "line, match",
    [
        ("a.jpg,jump", r"l\.txt:2: unknown label 'jump'"),
        ("a.jpg,reach_left", r"l\.txt:2: unknown label 'reach_left'"),
        ("a.jpg,reach,extra", r"l\.txt:2: expected 'image_path,label'"),
        ("a.jpg", r"l\.txt:2: expected 'image_path,label'"),
        ("a.jpg,label", r"l\.txt:2: the placeholder label 'label' belongs to the test list only"),
    ],
)
def test_bad_label_lines_name_file_and_line(tmp_path, line, match):
    label_file = write_labels(tmp_path / "l.txt", ["b.jpg,squat", line])
    with pytest.raises(ValueError, match=match):
        Mds189(label_file, tmp_path)


@pytest.mark.parametrize(
    "name, line, ok",
    [
        ("videoframe_data_test.txt", "test_kaggle_frames/0000.jpg,label", True),
        ("videoframe_data_train.txt", "trainval/000/frames/reach/0000.jpg,label", False),
        ("keyframe_data_val.txt", "trainval/000/key_frames_resized/reach_both.jpg,label", False),
        ("videoframe_data_test.txt", "test_kaggle_frames/0000.jpg,reach", False),
        ("videoframe_data_train.txt", "trainval/000/frames/reach/0000.jpg,reach_both", False),
        ("keyframe_data_train.txt", "trainval/000/key_frames_resized/reach_both.jpg,reach", False),
    ],
)
def test_each_course_list_holds_only_its_own_labels(tmp_path, name, line, ok):
    # the placeholder outside the test list would become target -1 and crash training after an epoch
    label_file = write_labels(tmp_path / name, ["\n".join([line] * 2)])
    if ok:
        assert Mds189(label_file, tmp_path).targets == [UNKNOWN] * 2
    else:
        with pytest.raises(FormatError, match=rf"{name}:1: .*\n.*{name}:2: "):
            Mds189(label_file, tmp_path)


def test_empty_label_file(tmp_path):
    with pytest.raises(ValueError, match="no 'image_path,label' lines"):
        Mds189(write_labels(tmp_path / "l.txt", [""]), tmp_path)


def test_path_resolution(tmp_path):
    root = tmp_path / "root"
    existing = write_image(tmp_path / "elsewhere" / "a.jpg")
    listed = {
        "trainval/000/frames/reach/0000.jpg": root / "trainval/000/frames/reach/0000.jpg",
        str(existing): existing,
        "/Users/someone/hw6_mds189/trainval/007/key_frames_resized/squat_both.jpg":
            root / "trainval/007/key_frames_resized/squat_both.jpg",
        "/data/x/test_kaggle_frames/0042.jpg": root / "test_kaggle_frames/0042.jpg",
        "/nowhere/a.jpg": Path("/nowhere/a.jpg"),
    }
    label_file = write_labels(tmp_path / "l.txt", [f"{path},reach" for path in listed])
    assert Mds189(label_file, root).paths == list(listed.values())


def test_cache_file_name_changes_when_an_image_changes_on_disk(tmp_path):
    image = write_image(tmp_path / "trainval/000/frames/reach/0000.jpg")
    dataset = Mds189(write_labels(tmp_path / "l.txt", ["trainval/000/frames/reach/0000.jpg,reach"]),
                     tmp_path, size=(8, 4))
    before = dataset.cache_file_name()
    assert dataset.cache_file_name() == before
    write_image(image, color=(0, 0, 0), size=(14, 20))
    assert dataset.cache_file_name() != before


def test_dataset_reads_relative_and_foreign_absolute_paths(tmp_path):
    write_image(tmp_path / "trainval/000/frames/lunge/0012.jpg")
    write_image(tmp_path / "test_kaggle_frames/0000.jpg")
    label_file = write_labels(
        tmp_path / "l.txt",
        [
            "trainval/000/frames/lunge/0012.jpg,lunge",
            "/old/machine/hw6_mds189/test_kaggle_frames/0000.jpg,label",
        ],
    )
    ds = Mds189(label_file, tmp_path, size=(16, 8), labels=("lunge", "label"))
    assert len(ds) == 2 and ds.ids == ["0012.jpg", "0000.jpg"] and ds.targets == [3, UNKNOWN]
    image, target = ds[0]
    assert image.dtype == torch.uint8 and image.shape == (3, 16, 8) and target == 3


def test_missing_file_error_names_path_and_line(tmp_path):
    write_image(tmp_path / "a.jpg")
    ds = Mds189(write_labels(tmp_path / "l.txt", ["a.jpg,reach", "b.jpg,squat"]), tmp_path)
    ds[0]
    with pytest.raises(FileNotFoundError, match=r"image not found: .*b\.jpg .*l\.txt:2"):
        ds[1]


def test_corrupt_and_truncated_images_name_the_file(tmp_path):
    (tmp_path / "corrupt.jpg").write_bytes(b"not a jpeg at all" * 10)
    good = write_image(tmp_path / "good.jpg", size=(64, 64), quality=95)
    data = good.read_bytes()
    (tmp_path / "truncated.jpg").write_bytes(data[: len(data) // 2])
    ds = Mds189(
        write_labels(tmp_path / "l.txt", ["good.jpg,reach", "corrupt.jpg,squat", "truncated.jpg,squat"]),
        tmp_path,
    )
    with pytest.raises(OSError, match=r"cannot read image .*corrupt\.jpg.*l\.txt:2"):
        ds[1]
    with pytest.raises(OSError, match=r"cannot read image .*truncated\.jpg.*l\.txt:3"):
        ds[2]
    bad = find_bad_images(ds)
    assert [i for i, _ in bad] == [1, 2]


def test_check_cli_exit_status(tmp_path, capsys):
    root = tmp_path / "root"
    write_image(root / "a.jpg")
    (root / "dataloader_files").mkdir()
    for name in mds189.LABEL_FILES.values():  # a label each list allows
        label = "label" if "_test" in name else "reach_both" if name.startswith("key") else "reach"
        write_labels(root / "dataloader_files" / name, [f"a.jpg,{label}"])
    assert mds189.main([str(root)]) == 0
    write_labels(root / "dataloader_files/videoframe_data_val.txt", ["a.jpg,reach", "gone.jpg,squat"])
    assert mds189.main([str(root)]) == 1
    assert "gone.jpg" in capsys.readouterr().out


@pytest.mark.parametrize(
    "mode, color", [("L", 128), ("RGBA", (10, 20, 30, 255)), ("P", 3), ("LA", (50, 255))]
)
def test_any_image_mode_comes_out_rgb(tmp_path, mode, color):
    path = write_image(tmp_path / "img.png", mode=mode, size=(7, 5), color=color)
    image = load_rgb(path)
    assert image.shape == (3, 5, 7) and image.dtype == torch.uint8


def test_transparent_pixels_become_white(tmp_path):
    path = write_image(tmp_path / "t.png", mode="RGBA", size=(4, 4), color=(0, 0, 0, 0))
    assert torch.all(load_rgb(path) == 255)


def test_exif_orientation_6_is_applied(tmp_path):
    pixels = np.zeros((20, 30, 3), dtype=np.uint8)  # stored landscape: H=20, W=30
    pixels[:5, :5] = (255, 0, 0)  # red in the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    path = tmp_path / "phone.jpg"
    Image.fromarray(pixels).save(path, exif=exif, quality=95)
    image = load_rgb(path)
    assert image.shape == (3, 30, 20)  # displayed portrait
    assert image[0, 1, -2] > 200 and image[0, 1, 1] < 60  # top-left moved to the top-right


def test_resize_and_cache_round_trip(tmp_path, monkeypatch):
    for i in range(5):
        write_image(tmp_path / f"{i}.jpg", size=(40, 80), color=(40 * i, 10, 200))
    label_file = write_labels(tmp_path / "l.txt", [f"{i}.jpg,{MOVEMENTS[i]}" for i in range(5)])
    plain = Mds189(label_file, tmp_path, size=(16, 8))
    cached = Mds189(label_file, tmp_path, size=(16, 8)).cache_images(tmp_path / "cache")
    assert cached.images.shape == (5, 3, 16, 8)
    for i in range(5):
        assert torch.equal(plain[i][0], cached[i][0]) and plain[i][1] == cached[i][1]
    with monkeypatch.context() as patch:  # a second dataset must read the cache file, not the images
        patch.setattr(mds189, "load_rgb", lambda *args, **kwargs: pytest.fail("decoded despite the cache"))
        again = Mds189(label_file, tmp_path, size=(16, 8)).cache_images(tmp_path / "cache")
    assert torch.equal(again.images, cached.images)
    (tmp_path / "3.jpg").unlink()  # a changed data set must not be served from a stale cache
    with pytest.raises(FileNotFoundError, match="3.jpg"):
        Mds189(label_file, tmp_path, size=(16, 8)).cache_images(tmp_path / "cache")
    with pytest.raises(ValueError, match="needs a fixed image size"):
        Mds189(label_file, tmp_path).cache_images()


def test_select_keeps_items_aligned(tmp_path):
    for i in range(4):
        write_image(tmp_path / f"{i}.jpg", color=(60 * i, 0, 0))
    label_file = write_labels(tmp_path / "l.txt", [f"{i}.jpg,{MOVEMENTS[i]}" for i in range(4)])
    ds = Mds189(label_file, tmp_path, size=(8, 4)).cache_images()
    sub = ds.select([3, 1])
    assert len(sub) == 2 and sub.targets == [3, 1] and sub.ids == ["3.jpg", "1.jpg"]
    assert torch.equal(sub[0][0], ds[3][0]) and len(ds) == 4


def test_dataset_pickles_and_works_with_worker_processes(tmp_path):
    for i in range(4):
        write_image(tmp_path / f"{i}.jpg")
    label_file = write_labels(tmp_path / "l.txt", [f"{i}.jpg,squat" for i in range(4)])
    ds = pickle.loads(pickle.dumps(Mds189(label_file, tmp_path, size=(8, 4))))
    images, targets = next(iter(DataLoader(ds, batch_size=4, num_workers=1)))
    assert images.shape == (4, 3, 8, 4) and targets.tolist() == [1] * 4
