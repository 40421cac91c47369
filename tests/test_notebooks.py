"""Both notebooks run headless (nbclient) on the tiny generated sample, and the committed copies carry
their outputs. The committed files are never rewritten: each run executes a copy in memory."""
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = ["mds189_visualize.ipynb", "starter_code.ipynb"]
FIGURES = {"mds189_visualize.ipynb": 4, "starter_code.ipynb": 5}


def _outputs(nb, kind):
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs
            if kind in o.get("data", {}) or o.get("output_type") == kind]


def _complaints(nb):
    """Outputs that a clean run never prints: errors, anything on stderr, and warnings (which IPython
    prints to stderr, or a library may print to stdout)."""
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs
            if o.get("output_type") == "error" or o.get("name") == "stderr"
            or "Warning" in o.get("text", "") or "Warning" in o.get("data", {}).get("text/plain", "")]


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_on_the_tiny_sample(name, mds189_tiny, monkeypatch):
    monkeypatch.setenv("MDS189_ROOT", str(mds189_tiny))
    monkeypatch.setenv("MDS189_QUICK", "1")
    nb = nbformat.read(REPO / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    # raises CellExecutionError, naming the cell, on any error
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(REPO)}})
    client.execute()
    assert len(_outputs(nb, "image/png") + _outputs(nb, "image/jpeg")) == FIGURES[name]
    assert not _complaints(nb), _complaints(nb)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebook_carries_outputs_of_a_clean_run(name):
    nb = nbformat.read(REPO / name, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    assert not _complaints(nb), _complaints(nb)
    assert len(_outputs(nb, "image/png") + _outputs(nb, "image/jpeg")) == FIGURES[name]
    assert (REPO / name).stat().st_size < 3_000_000
