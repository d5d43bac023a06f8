"""Numbers for people: percent with one decimal, money with thousands separators.

Every number in the report goes through these functions, so the Markdown, the HTML and
the tests that check them agree on one spelling.
"""

from __future__ import annotations

import math

DASH = "–"  # en dash between the ends of a band


def pct(fraction: float, digits: int = 1) -> str:
    """``0.5596`` -> ``56.0 %``."""
    return f"{100 * fraction:.{digits}f} %"


def pct_band(band: dict[str, float], digits: int = 1) -> str:
    """Median with its 5-95 % band: ``56.0 % (55.6–56.0)``."""
    lo, mid, hi = (f"{100 * band[k]:.{digits}f}" for k in ("p5", "p50", "p95"))
    return f"{mid} % ({lo}{DASH}{hi})"


def points(fraction: float, digits: int = 1) -> str:
    """A change of share in percentage points, signed: ``-18.5 pp``, ``+15.5 pp``."""
    value = round(100 * fraction, digits)
    return f"{value:+.{digits}f} pp".replace("+0.0 ", "0.0 ").replace("-0.0 ", "0.0 ")


def money(amount: float, digits: int = 0) -> str:
    """``3697.8`` -> ``3,698``; NaN (no CLV defined) -> ``n/a``. The unit goes in headers."""
    if not math.isfinite(amount):
        return "n/a"
    return f"{amount:,.{digits}f}"


def money_band(band: dict[str, float], digits: int = 0) -> str:
    """Median amount with its 5-95 % band: ``3,698 (3,646–3,703)``."""
    lo, mid, hi = (money(band[k], digits) for k in ("p5", "p50", "p95"))
    return f"{mid} ({lo}{DASH}{hi})"


def count(n: float) -> str:
    """Subscribers: ``681.7 M``, ``1.08 bn``, or ``21,263`` below a million."""
    if abs(n) >= 1e9:
        return f"{n / 1e9:.2f} bn"
    if abs(n) >= 1e6:
        return f"{n / 1e6:.1f} M"
    return f"{n:,.0f}"
