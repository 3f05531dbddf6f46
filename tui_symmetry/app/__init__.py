"""The Textual app.  ``run_app(config, fps, speed)`` is what ``tui-symmetry`` starts."""

from __future__ import annotations

import gc
import os
import sys
from typing import TYPE_CHECKING

from tui_symmetry.core.config import Config
from tui_symmetry.settings import DEFAULT_FPS

if TYPE_CHECKING:
    from tui_symmetry.scenarios import Scenario

UI_SWITCH_INTERVAL_S = 0.001
"""How often the interpreter hands the GIL to another thread (Python's default: 5 ms)."""

UI_GC_THRESHOLDS = (10_000, 20, 20)
"""Python's default is (700, 10, 10)."""

UI_MAX_FPS = 120
"""Textual's screen-update timer rate (its default 60): a key's new layout waits for the
timer's next tick, 0-17 ms at 60 and 0-8 ms at 120 (paired runs: view switch p95 72-74
-> 40-42 ms).  Frames still come only when something changed: the panels' own rate is
``--fps``.
Textual reads it once, at import, so it is set before the app is imported."""


def prepare_interpreter_for_ui() -> None:
    """Tune this process's interpreter for a responsive screen (each cause below was
    seen in a trace of the real app answering a view key).

    - Everything alive now (modules, classes, the app's widgets: ~50,000 objects that
      live as long as the process) is frozen out of garbage collection: a full
      collection walked them all, 40-57 ms about once a second, and a key pressed during
      one waited for it.
    - The youngest generation is collected every 10,000 allocations instead of 700:
      drawing a frame allocates that many short-lived objects, and collecting mid-frame
      promoted them to older generations for the full collections to walk again.
    - Other threads get the GIL within 1 ms instead of 5: the thread that writes a
      finished frame to the terminal waited up to 5 ms while the next frame was drawn.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*UI_GC_THRESHOLDS)
    sys.setswitchinterval(UI_SWITCH_INTERVAL_S)


class AppCrashed(RuntimeError):
    """The app stopped on an exception it did not handle (a bug).

    By then Textual has restored the terminal and printed the traceback, and the
    training process has been stopped; the message names the exception.
    """


def run_app(config: Config, fps: float = DEFAULT_FPS, speed: float | None = None,
            scenario: Scenario | None = None, present: bool = False,
            view: str = "all") -> int:
    """Run the live app until the user quits; returns the exit status.

    ``scenario``: the scene of the lecture it opens in (``config`` is already its
    config, overlaid with --config and flags); ``present``: presentation mode.

    0 after quitting; 128 + the signal's number after SIGTERM (143), SIGHUP (129, also
    when the terminal went away) or SIGINT (130), which end the app exactly like q.
    An exception the app did not handle raises :class:`AppCrashed` (Textual's own
    ``run`` would return as after q).  The training process is started before Textual
    so both warm up in parallel, and it is stopped however the app ends (quit, signal,
    exception).
    """
    os.environ.setdefault("TEXTUAL_FPS", str(UI_MAX_FPS))
    from tui_symmetry.app.app import SymmetryApp, publish_rate
    from tui_symmetry.runner import ProcessRunner

    runner = ProcessRunner(config, autoplay=True, speed=speed, publish_hz=publish_rate(fps))
    runner.start()
    try:
        app = SymmetryApp(config, runner=runner, fps=fps, autoplay=True, speed=speed,
                          scenario=scenario, present=present,
                          view=view)  # type: ignore[arg-type]  # checked by the cli
        prepare_interpreter_for_ui()
        result = app.run()
    except KeyboardInterrupt:  # before the app's own handler is installed
        return 130
    finally:
        runner.close()
    if app.return_code:  # Textual's "fatal error": it has printed the traceback
        error = app._exception
        what = "" if error is None else f" ({type(error).__name__}: {error})"
        raise AppCrashed(f"the app stopped on an internal error{what}; its traceback is "
                         "above, and the training process was stopped")
    return 0 if result is None else int(result)


__all__ = ["AppCrashed", "prepare_interpreter_for_ui", "run_app"]
