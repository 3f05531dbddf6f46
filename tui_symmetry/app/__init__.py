"""The Textual app.  ``run_app(config, fps, speed)`` is what ``tui-symmetry`` starts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_symmetry.core.config import Config
from tui_symmetry.options import DEFAULT_FPS

if TYPE_CHECKING:
    from tui_symmetry.scenarios import Scenario

def run_app(config: Config, fps: float = DEFAULT_FPS, speed: float | None = None,
            scenario: Scenario | None = None, present: bool = False,
            view: str = "all") -> int:
    """Run the live app until the user quits; returns the exit status.

    ``scenario``: the scene of the lecture it opens in (``config`` is already its
    config, overlaid with --config and flags); ``present``: presentation mode.

    0 after quitting; 128 + the signal's number after SIGTERM (143), SIGHUP (129, also
    when the terminal went away) or SIGINT (130), which end the app exactly like q.
    The training process is started before Textual so both warm up in parallel, and it
    is stopped however the app ends (quit, signal, exception).
    """
    from tui_symmetry.app.app import SymmetryApp, publish_rate
    from tui_symmetry.runner import ProcessRunner

    runner = ProcessRunner(config, autoplay=True, speed=speed, publish_hz=publish_rate(fps))
    runner.start()
    try:
        app = SymmetryApp(config, runner=runner, fps=fps, autoplay=True, speed=speed,
                          scenario=scenario, present=present,
                          view=view)  # type: ignore[arg-type]  # checked by the cli
        result = app.run()
    except KeyboardInterrupt:  # before the app's own handler is installed
        return 130
    finally:
        runner.close()
    return 0 if result is None else int(result)


__all__ = ["run_app"]
