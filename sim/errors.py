"""The one exception type that means "the user gave us something wrong".

Anything raised as :class:`UserError` is reported by the CLI as a single line
(file, field, value, what was expected) with exit code 2 and no traceback.
Everything else is a bug and keeps its traceback.
"""


class UserError(Exception):
    """A problem with the user's input: a scenario, a data file or an option."""


class InvariantError(RuntimeError):
    """A model invariant broke (conservation, shares, finiteness): a bug, not bad input.

    Raised by the invariant checks (``check_invariants=True``); unlike ``assert`` it is not
    switched off by ``python -O``.
    """
