import numpy as np
import pandas as pd
import pytest
from PIL import Image

import reports

NAMES = ["a", "b", "c"]


def test_per_class_accuracy_counts_by_hand():
    y_true = np.array([0, 0, 1, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 0, 0])
    table = reports.per_class_accuracy(y_true, y_pred, NAMES)
    assert list(table["class"]) == ["a", "b", "c", "overall"]
    assert list(table["n"]) == [2, 3, 1, 6]
    assert list(table["correct"]) == [1, 2, 0, 3]
    np.testing.assert_allclose(table["accuracy"], [0.5, 2 / 3, 0.0, 0.5])


def test_class_without_examples_is_nan_not_zero():
    table = reports.per_class_accuracy([0, 0], [0, 1], NAMES)
    assert np.isnan(table.loc[2, "accuracy"]) and table.loc[3, "accuracy"] == 0.5


@pytest.mark.parametrize("y_true, y_pred, match", [
    ([0, 1], [0], "equal length"),
    ([0, 3], [0, 1], "outside 0..2"),
    ([0, -1], [0, 1], "outside 0..2"),
])
def test_bad_labels_are_rejected(y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        reports.per_class_accuracy(y_true, y_pred, NAMES)


def test_write_table_writes_csv_and_markdown(tmp_path):
    table = reports.per_class_accuracy([0, 1, 2], [0, 1, 1], NAMES)
    csv_path, md_path = reports.write_table(table, tmp_path / "acc")
    pd.testing.assert_frame_equal(pd.read_csv(csv_path), table, check_dtype=False)
    md = open(md_path).read().splitlines()
    assert md[0].split("|")[1].strip() == "class" and len(md) == 2 + len(table)


def test_print_table_prints_markdown_and_writes_only_when_asked(tmp_path, capsys):
    table = reports.per_class_accuracy([0, 1, 2], [0, 1, 1], NAMES)
    reports.print_table(table)
    assert capsys.readouterr().out.splitlines()[0].split("|")[1].strip() == "class"
    assert list(tmp_path.iterdir()) == []
    reports.print_table(table, tmp_path / "acc")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acc.csv", "acc.md"]


def test_confusion_matrix_rows_are_normalised_and_png_written(tmp_path):
    path = tmp_path / "cm.png"
    cm = reports.plot_confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1], NAMES, path)
    np.testing.assert_allclose(cm, [[0.5, 0.5, 0], [0, 1, 0], [0, 0, 0]])
    with Image.open(path) as img:
        assert img.format == "PNG" and img.width > 100
