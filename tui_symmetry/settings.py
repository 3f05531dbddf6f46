"""How settings enter and leave, shared by the command line and the app: the program's
name, the views, and the app's options that are not run settings (the refresh rate, the
speed cap).

The options reuse :class:`~tui_symmetry.core.config.FieldSpec`, so the command line
checks them and words their errors exactly like the run settings.  Both the command
line and the app read them from here (one home: each is written once).
"""

from __future__ import annotations

from typing import Literal

from tui_symmetry.core.config import FieldSpec

PROG = "tui-symmetry"
"""The program's name: the command, the window title, the first word of every error."""

DEFAULT_FPS = 20.0
"""Screen refreshes per second; ``--fps`` lowers it for very slow links."""

FPS = FieldSpec("fps", float, "screen refreshes per second (lower it on a slow link)", "app",
                low=1, high=60)

View = Literal["all", "weights", "loss", "settings", "units", "gradients"]
VIEWS: tuple[View, ...] = ("all", "weights", "loss", "settings", "units", "gradients")
"""The app's views, in the order of their keys 0-5 (named here, not in the app, so that
the command line and the lecture's scenes need no Textual)."""

SPEEDS: tuple[float | None, ...] = (1.0, 10.0, 100.0, 1000.0, None)
"""The speed ladder the app's keys step through, in steps per second (None: full speed)."""

FULL_SPEED_WORDS = ("full", "max")
"""What ``--speed`` accepts for "no cap" besides a number."""

SPEED = FieldSpec(
    "speed", float, "cap the training rate in steps per second (or 'full')", "app",
    low=0, high=1e7, low_open=True,
)


def parse_speed(value: str | float | None) -> float | None:
    """A speed cap from ``--speed``: a positive number of steps/s, or None for full speed.

    Raises ConfigError (one line, naming the valid values) for anything else.
    """
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in FULL_SPEED_WORDS:
        return None
    return float(SPEED.coerce(value))


def format_speed(steps_per_s: float | None) -> str:
    """``full speed``, ``1 step/s``, ``10 steps/s``, ``1,000 steps/s``, ``0.5 steps/s``."""
    if steps_per_s is None:
        return "full speed"
    number = f"{steps_per_s:,.0f}" if steps_per_s >= 1 else f"{steps_per_s:g}"
    return f"{number} {'step' if number == '1' else 'steps'}/s"
