"""One-line errors for the command-line programs: bad input is reported, never a traceback.

A ValueError (bad arguments, labels, shapes or numbers) or an OSError (a missing, unreadable or
unwritable file) becomes one line on stderr, ``<program>: error: <first line of the message>``, and
exit status 1. Any other exception is a bug and keeps its traceback.
"""
import sys


def report_errors(program, function, *args):
    """Call ``function(*args)``; return 0, or 1 after printing a bad-input error as one line.

    A message of several lines (a format check lists one problem per line) is shortened to its first
    line and the number of further ones.
    """
    try:
        function(*args)
    except (ValueError, OSError) as err:  # OSError: FileNotFoundError, a corrupt image, a full disk
        problems = str(err).splitlines() or [repr(err)]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        print(f"{program}: error: {problems[0]}{more}", file=sys.stderr)
        return 1
    return 0
