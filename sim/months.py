"""The one date convention of telsim: model month t is calendar month ``start + t``.

``simulation.start`` names the calendar month of month 0, the initial state; month t
(t >= 1) is the t-th simulated month, and its row in the run tables holds the stock at
the end of that calendar month and the flows during it. A month is labelled by its own
calendar month everywhere: the run tables' ``date`` column (the first day of the month),
the calibration's data (a row dated ``YYYY-MM`` is compared with the month labelled
``YYYY-MM``), fit tables, figures and reports. With ``start: 2008-12``, month 0 is
2008-12 (the end-2008 state) and month 45 is 2012-09.

Every conversion between months and dates goes through this module.
"""

from __future__ import annotations

import datetime as dt
import re

_PATTERN = re.compile(r"^\s*(\d{4})-(\d{1,2})")


def parse_month(text: str) -> tuple[int, int]:
    """``(year, month)`` of ``YYYY-MM`` (a longer date such as ``YYYY-MM-DD`` is cut).

    Raises:
        ValueError: not a calendar month.
    """
    match = _PATTERN.match(str(text))
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"expected a month YYYY-MM, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def month_of_date(text: str, start: str) -> int:
    """Model month labelled ``text`` (``YYYY-MM``) in a run starting at ``start``."""
    year, month = parse_month(text)
    y0, m0 = parse_month(start)
    return (year * 12 + month) - (y0 * 12 + m0)


def first_day(month: int, start: str) -> dt.date:
    """First day of the calendar month of model month ``month``."""
    y0, m0 = parse_month(start)
    y, m = divmod(m0 - 1 + month, 12)
    return dt.date(y0 + y, m + 1, 1)


def date_of_month(month: int, start: str) -> str:
    """``YYYY-MM`` label of model month ``month``."""
    return first_day(month, start).strftime("%Y-%m")


def month_dates(start: str, months: int) -> list[dt.date]:
    """First days of months 0..``months`` (the run tables' ``date`` column)."""
    return [first_day(t, start) for t in range(months + 1)]
