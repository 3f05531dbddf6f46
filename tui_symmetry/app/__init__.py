"""The Textual app.  ``run_app(config, fps)`` is what ``tui-symmetry`` starts."""

from __future__ import annotations

from tui_symmetry.core.config import Config


def run_app(config: Config, fps: float = 20.0) -> int:
    """Run the live app until the user quits; returns the exit status.

    0 after quitting, 130 after an interrupt (SIGINT from outside: inside the app
    ctrl+c is a key).  The training process is started before Textual so both warm up
    in parallel, and it is stopped however the app ends (quit, interrupt, exception).
    """
    from tui_symmetry.app.app import SymmetryApp, publish_rate
    from tui_symmetry.runner import ProcessRunner

    runner = ProcessRunner(config, publish_hz=publish_rate(fps))
    runner.start()
    try:
        app = SymmetryApp(config, runner=runner, fps=fps)
        result = app.run()
    except KeyboardInterrupt:
        return 130
    finally:
        runner.close()
    return 0 if result is None else int(result)


__all__ = ["run_app"]
