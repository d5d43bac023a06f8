"""What the CLI tests share: invoking ``telsim`` in process and checking a user error."""

from __future__ import annotations

from click.testing import Result
from typer.testing import CliRunner

from sim.cli import app


def invoke(*args: object) -> Result:
    """``telsim ARGS`` in this process; every argument is passed as text."""
    return CliRunner().invoke(app, [str(a) for a in args])


def assert_user_error(result: Result, *fragments: str) -> str:
    """Exit 2, exactly one ``error:`` line naming every fragment, no traceback, no stdout.

    Returns the message with its line wrapping undone.
    """
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == "", result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    message = " ".join(result.stderr.split())  # the message may be wrapped
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message
