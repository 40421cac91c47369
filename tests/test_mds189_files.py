"""Tests of mds189_files: subject ids, image-list paths and lines, the Kaggle format file (the label
checks, and the format file inside a whole root, run through check_root in test_mds189_check.py)."""

import shutil

import pytest

import mds189_files


def test_subject_ids_are_the_all_digit_folders_sorted_by_number(tmp_path):
    for name in ("10", "9", "0100", "__MACOSX", "7a", "٣", ".hidden"):
        (tmp_path / "trainval" / name).mkdir(parents=True)
    (tmp_path / "trainval/11").write_text("a file, not a folder")
    assert mds189_files.subject_ids(tmp_path) == ["9", "10", "0100"]
    shutil.rmtree(tmp_path / "trainval")
    (tmp_path / "trainval/__MACOSX").mkdir(parents=True)
    with pytest.raises(mds189_files.FormatError, match="no subject folders"):
        mds189_files.subject_ids(tmp_path)


def test_resolve_reroots_foreign_absolute_paths(tmp_path):
    assert mds189_files.resolve(tmp_path, "trainval/001/x.jpg") == tmp_path / "trainval/001/x.jpg"
    foreign = "/home/someone/hw6_mds189/trainval/001/key_frames/squat_both.jpg"
    assert mds189_files.resolve(tmp_path, foreign) == tmp_path / "trainval/001/key_frames/squat_both.jpg"
    nested = "/mnt/trainval/backup/hw6_mds189/test_kaggle_frames/0042.jpg"  # the last anchor counts
    assert mds189_files.resolve(tmp_path, nested) == tmp_path / "test_kaggle_frames/0042.jpg"


def test_read_image_list_gives_line_numbers_and_skips_blank_lines(tmp_path):
    path = tmp_path / "videoframe_data_val.txt"
    path.write_text('trainval/001/frames/squat/0012.jpg,squat\n\n  \n"trainval/002/a,b.jpg" , lunge \r\n')
    assert mds189_files.read_image_list(path, tmp_path) == [
        mds189_files.ListedImage(1, "trainval/001/frames/squat/0012.jpg",
                                 tmp_path / "trainval/001/frames/squat/0012.jpg", "squat"),
        mds189_files.ListedImage(4, "trainval/002/a,b.jpg", tmp_path / "trainval/002/a,b.jpg", "lunge"),
    ]
    with pytest.raises(mds189_files.FormatError, match=r"nowhere.txt: missing file"):
        mds189_files.read_image_list(tmp_path / "nowhere.txt", tmp_path)


NAMES = ["0000.jpg", "0001.jpg", "0002.jpg"]
ORDER = "Ids must be the test frame file names in file order (3 rows)"


@pytest.mark.parametrize(
    "text, placeholder, problem",
    [
        ("Id,Category\n" + "".join(f"{n},predicted_label\n" for n in NAMES), "predicted_label", None),
        ("Id,Category\n" + "".join(f"{n},squat\n" for n in NAMES), None, None),
        (
            "Id,Category\n" + "".join(f"{n},squat\n" for n in NAMES),
            "predicted_label",
            "{f}: Category must be the placeholder 'predicted_label' in every row",
        ),
        ("", None, "{f}: header must be 'Id,Category', got nothing"),
        ("Id;Category\n", None, "{f}: header must be 'Id,Category', got Id;Category"),
        ("\ufeffId,Category\n" + "".join(f"{n},x\n" for n in NAMES), None, None),  # saved by Excel
        ("Id,Category\n0000.jpg,x\n0002.jpg,x\n0001.jpg,x\n", None, f"{{f}}:3: {ORDER}; found '0002.jpg' "
         "where 0001.jpg belongs"),
        ("Id,Category\n0000.jpg,x\n\n0001.jpg,x\n0002.jpg,x\n", None, f"{{f}}:3: {ORDER}; a blank line"),
        ("Id,Category\n0000.jpg,x\n", None, f"{{f}}: {ORDER}; it stops after 1 entries, before 0001.jpg"),
        (
            "Id,Category\n" + "".join(f"{n},x\n" for n in [*NAMES, "0003.jpg"]),
            None,
            f"{{f}}:5: {ORDER}; '0003.jpg' is one too many (4 entries)",
        ),
    ],
)
def test_format_file_problems(tmp_path, text, placeholder, problem):
    path = tmp_path / "kaggle_submission_format.csv"
    path.write_text(text, encoding="utf-8")
    expected = [] if problem is None else [problem.format(f=path)]
    assert mds189_files.check_format_file(path, NAMES, placeholder=placeholder) == expected


def test_format_file_missing_or_not_text(tmp_path):
    path = tmp_path / "fmt.csv"
    assert mds189_files.check_format_file(path, NAMES) == [f"{path}: missing file"]
    path.write_bytes(b"Id,Category\n\xff\xfe\x00,x\n")
    [problem] = mds189_files.check_format_file(path, NAMES)
    assert problem.startswith(f"{path}: not a CSV text file: ")
