"""Every number the app draws, formatted in one place, the way people read numbers.

* A negative number carries a real minus sign, ``−`` (U+2212), exponents included
  ("−0.014", "2.5e−5"): "-0.014" reads as a dash before a number.
* A value that rounds to zero at the precision shown has no sign: "0.00", never "-0.00".
* Huge and tiny values are written as a compact power of ten ("8.15e24", "2.5e−5"),
  never as 28 digits or "8.15e+24".

What a user types or copies back into the program keeps ASCII: the settings' number
boxes, the command line `y` copies, files and the command line's own output.
"""

from __future__ import annotations

import math

import numpy as np

MINUS = "−"
"""A real minus sign: "−0.014" reads as a number, "-0.014" as a dash."""


def with_minus(text: str) -> str:
    """``text`` (one formatted number) with every ASCII hyphen made a real minus sign."""
    return text.replace("-", MINUS)


def _non_finite(value: float) -> str:
    return "nan" if math.isnan(value) else ("inf" if value > 0 else MINUS + "inf")


def format_compact(value: float, digits: int = 3) -> str:
    """A short label: 12000 → '12k', 1500000 → '1.5M', 1e290 → '1e290', 1e-4 → '1e−4'.

    ``digits`` significant digits; plain decimals between 0.001 and 1e6, k and M up to
    1e9, and beyond either end a compact power of ten (no '+' and no leading zeros in
    the exponent, so a tick label never reads '1e+284M').
    """
    if not math.isfinite(value):
        return _non_finite(value)
    if value == 0:
        return "0"
    rounded = float(f"{value:.{digits}g}")  # round first: 999999 is '1M', not '1e+03k'
    size = abs(rounded)
    if size >= 1e9 or size < 1e-3:
        mantissa, exponent = f"{rounded:.{digits - 1}e}".split("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        return with_minus(f"{mantissa}e{int(exponent)}")
    for threshold, suffix in ((1e6, "M"), (1e3, "k"), (1.0, "")):
        if size >= threshold or not suffix:
            scaled = float(f"{rounded / threshold:.{digits}g}")
            # Positional, shortest exact form: 100 is "100", never "1e+02".
            return with_minus(np.format_float_positional(scaled, trim="-") + suffix)
    raise AssertionError("unreachable")


def format_scale(value: float) -> str:
    """A short legend number: 0.5, 2, 1e−3."""
    return format_compact(value, 2)


def format_fixed(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` decimals: "0.497", "−0.012", and "0.00" for anything
    that rounds to zero (never "-0.00")."""
    if not math.isfinite(value):
        return _non_finite(value)
    text = f"{value:.{decimals}f}"
    if float(text) == 0:
        text = text.lstrip("-")
    return with_minus(text)


def format_significant(value: float, digits: int) -> str:
    """``digits`` significant digits, as ``g`` gives them but with a compact exponent and
    a real minus: "0.254123", "1.1e−16", "8.14812e24"."""
    if not math.isfinite(value):
        return _non_finite(value)
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return with_minus(text)


LOSS_PLAIN = (1e-3, 1e4)
"""A loss in this range is written with four decimals; outside it, compactly."""


def format_loss(value: float) -> str:
    """A loss for the status line: "0.2615", "2.15e−5", "12.3k", "8.15e24", "inf"."""
    if not math.isfinite(value):
        return _non_finite(value)
    if value == 0 or LOSS_PLAIN[0] <= abs(value) < LOSS_PLAIN[1]:
        return format_fixed(value, 4)
    return format_compact(value, 3)


def format_signed(value: float) -> str:
    """``value`` with its sign, two significant digits: ``−0.014``, ``+0.02``, ``+3.1e−5``."""
    text = format_compact(abs(value), 2)
    return (MINUS if value < 0 else "+") + text


def format_fit(value: float, width: int) -> str:
    """``value`` with a sign in at most ``width`` characters, as precise as fits.

    Below 1 in size the leading zero goes before a digit does ("+.046" rather than
    "+0.05" in five characters).  A value that rounds to zero loses its sign.
    """
    if not math.isfinite(value):
        return _non_finite(value)[:width]
    if value == 0:
        return "0"  # exactly zero (L1, dead units): say so rather than "+0.000"
    for digits in (3, 2, 1, 0):
        text = f"{value:+.{digits}f}"
        if float(text) == 0:
            text = text[1:]  # rounds to zero: no sign (a sign would claim a direction)
        if len(text) <= width:
            return with_minus(text)
        if digits and text[1:3] == "0.":
            short = text[0] + text[2:]
            if len(short) <= width:
                return with_minus(short)
    text = format_compact(value, 1)
    text = text if text.startswith(MINUS) else "+" + text
    return text if len(text) <= width else ("+" if value >= 0 else MINUS) * min(width, 1)


def filter_name(index: int) -> str:
    """How the app names filter ``index`` (0-based) of a conv net: ``f1`` … ``fK``."""
    return f"f{index + 1}"


def unit_name(unit: int, short: bool = False) -> str:
    """How the app names hidden unit ``unit`` (0-based): ``unit 1`` … ``unit H``, ``u1``."""
    return f"u{unit + 1}" if short else f"unit {unit + 1}"
