import pandas as pd
import pytest
import torch

from problem4.cnn_reports import check_submission, plot_error_gallery, plot_loss_curves, write_submission

IDS = ["0000.jpg", "0001.jpg", "0002.jpg", "0003.jpg"]


@pytest.fixture
def fmt(tmp_path):
    path = tmp_path / "kaggle_submission_format.csv"
    path.write_text("Id,Category\n" + "".join(f"{i},predicted_label\n" for i in IDS))
    return path


def test_submission_header_rows_order_and_names(tmp_path, fmt):
    names = ["reach", "pushup", "deadbug", "reach"]
    path = write_submission(IDS, names, tmp_path / "submission.csv", fmt)
    lines = path.read_text().splitlines()
    assert lines[0] == "Id,Category"
    assert lines[1:] == [f"{i},{n}" for i, n in zip(IDS, names, strict=True)]
    assert list(pd.read_csv(path).columns) == list(pd.read_csv(fmt).columns)


@pytest.mark.parametrize(
    "ids, names, match",
    [
        (
            IDS[:3],
            ["reach"] * 3,
            r"kaggle_submission_format\.csv:5: Ids must be the test frame file names in file order "
            r"\(3 rows\); '0003\.jpg' is one too many \(4 entries\)",
        ),
        (IDS, ["reach"] * 3, "4 Ids but 3 predictions"),
        (
            [IDS[1], IDS[0], *IDS[2:]],
            ["reach"] * 4,
            r"kaggle_submission_format\.csv:2: Ids must be .*; found '0000\.jpg' where 0001\.jpg belongs",
        ),
        (IDS, ["reach", "jump", "squat", "lunge"], r"line 3: 'jump' is not a movement"),
        (IDS, ["reach", "squat_both", "squat", "lunge"], r"'squat_both' is not a movement"),
        (IDS, [0, 1, 2, 3], "0 is not a movement"),
    ],
)
def test_submission_rejects_bad_predictions_and_writes_nothing(tmp_path, fmt, ids, names, match):
    with pytest.raises(ValueError, match=match):
        write_submission(ids, names, tmp_path / "submission.csv", fmt)
    assert not (tmp_path / "submission.csv").exists()


def test_format_file_with_another_header(tmp_path):
    bad = tmp_path / "fmt.csv"
    bad.write_text("id,label\n0000.jpg,x\n")
    with pytest.raises(ValueError, match=r"fmt\.csv: header must be 'Id,Category', got id,label"):
        check_submission(["0000.jpg"], ["reach"], bad)


def test_format_file_category_is_not_checked_for_a_submission(tmp_path, fmt):
    """The course's file holds the placeholder; a submission takes only the Ids (a past submission used
    as the format file works too)."""
    other = tmp_path / "past_submission.csv"
    other.write_text("Id,Category\n" + "".join(f"{i},reach\n" for i in IDS))
    write_submission(IDS, ["squat"] * 4, tmp_path / "submission.csv", other)
    assert (tmp_path / "submission.csv").read_text().splitlines()[1] == "0000.jpg,squat"


def test_loss_curves_png(tmp_path):
    log = pd.DataFrame(
        {"step": [1, 2, 2, 3], "split": ["train", "train", "val", "train"], "loss": [2.0, 1.5, 1.8, 1.2]}
    )
    plot_loss_curves(log, tmp_path / "loss.png")
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_error_gallery_png(tmp_path):
    images = [torch.randint(0, 256, (3, 16, 8), dtype=torch.uint8) for _ in range(3)]
    plot_error_gallery(images, ["reach"] * 3, ["squat"] * 3, tmp_path / "errors.png")
    plot_error_gallery([], [], [], tmp_path / "none.png")
    assert (tmp_path / "errors.png").exists() and (tmp_path / "none.png").exists()
    with pytest.raises(ValueError, match="3 images but 2 true"):
        plot_error_gallery(images, ["reach"] * 2, ["squat"] * 3, tmp_path / "x.png")
