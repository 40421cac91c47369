import pytest

from cli_errors import report_errors


def test_success_returns_zero_and_prints_nothing(capsys):
    assert report_errors("prog", lambda x: x + 1, 1) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("error, expected", [
    (ValueError("labels.txt:3: unknown label 'jump'"), "prog: error: labels.txt:3: unknown label 'jump'\n"),
    (ValueError("bad a\nbad b\nbad c"), "prog: error: bad a (and 2 more problem(s))\n"),
    (FileNotFoundError("checkpoint not found: x.pt"), "prog: error: checkpoint not found: x.pt\n"),
])
def test_bad_input_becomes_one_line_and_status_one(capsys, error, expected):
    def fail():
        raise error

    assert report_errors("prog", fail) == 1
    assert capsys.readouterr().err == expected


def test_a_bug_keeps_its_traceback():
    def bug():
        raise KeyError("not bad input")

    with pytest.raises(KeyError):
        report_errors("prog", bug)
