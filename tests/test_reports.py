"""Tests of reports.py: per-class tables (one model or several), files, figures, no backend switch."""
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import reports

NAMES = ["a", "b", "c"]
REPO = Path(__file__).resolve().parents[1]


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


def test_per_class_accuracy_by_model_puts_the_models_side_by_side():
    y_true = np.array([0, 0, 1, 1, 1, 2])
    table = reports.per_class_accuracy_by_model(
        y_true, {"net": np.array([0, 1, 1, 1, 0, 0]), "lr": y_true.copy()}, NAMES)
    assert list(table.columns) == ["class", "n", "net", "lr"]
    assert list(table["class"]) == ["a", "b", "c", "overall"] and list(table["n"]) == [2, 3, 1, 6]
    np.testing.assert_allclose(table["net"], [0.5, 2 / 3, 0.0, 0.5])
    np.testing.assert_allclose(table["lr"], [1, 1, 1, 1])
    with pytest.raises(ValueError, match="no predictions"):
        reports.per_class_accuracy_by_model(y_true, {}, NAMES)


def test_plot_training_curves_draws_every_history():
    solver = SimpleNamespace(loss_history=[2.0, 1.5, 1.0], train_acc_history=[0.1, 0.5],
                             val_acc_history=[0.1, 0.4])
    loss_ax, acc_ax = reports.plot_training_curves({"a": solver, "b": solver}).axes
    assert len(loss_ax.lines) == 2 and len(acc_ax.lines) == 4
    np.testing.assert_array_equal(acc_ax.lines[1].get_ydata(), [0.1, 0.4])


def test_importing_reports_keeps_the_backend_and_save_figure_closes_pyplot_figures(tmp_path):
    code = ("import matplotlib; matplotlib.use('svg'); import reports, visualize, keypoint_trainer; "
            "import matplotlib.pyplot as plt; assert matplotlib.get_backend() == 'svg'; "
            f"fig = plt.figure(); reports.save_figure(fig, r'{tmp_path / 'f.png'}'); "
            "assert plt.get_fignums() == []")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "f.png").stat().st_size > 0
