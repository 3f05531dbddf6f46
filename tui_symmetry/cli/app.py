"""``tui-symmetry [OPTIONS]``: check every option, then open the app (imported only
then: the command line's other paths never load Textual)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

from tui_symmetry import __version__
from tui_symmetry.cli.commands import COMMANDS
from tui_symmetry.cli.errors import ExitCode, RuntimeFailure, UsageError
from tui_symmetry.cli.output import isatty
from tui_symmetry.cli.parsing import (
    STEPS_OR_SCENE,
    Parser,
    add_app_options,
    add_run_options,
    app_options,
    build_config,
    find_scenario,
)
from tui_symmetry.serve import served_by_web_driver
from tui_symmetry.settings import PROG

APP_DESCRIPTION = (
    "Train a tiny neural network live in the terminal and watch its hidden units stay\n"
    "alike or split.  Without a command, opens the app."
)


APP_EPILOG = (
    "commands:\n"
    + "".join(f"  {name:<10} {command.help}\n" for name, command in COMMANDS.items())
    + "\n"
    "Every option is also a control in the app.  Examples:\n"
    "  tui-symmetry --init symmetric --epsilon 0   # identical units: they never split\n"
    "  tui-symmetry --init xavier                  # random units: different from the start\n"
    "  tui-symmetry --scenario epsilon-split       # a scene of the lecture: a tiny nudge grows\n"
)


NO_TERMINAL = (
    "the app needs an interactive terminal (stdin and stdout); over SSH use "
    f"'ssh -t HOST {PROG}', or train headless with '{PROG} train --steps N'"
)


DUMB_TERMS = ("dumb", "unknown")
"""TERM values of a terminal without cursor control (the ones Rich calls dumb)."""


def dumb_terminal_error(term: str) -> str:
    """Why the app does not start on a terminal of type ``term`` (TERM=dumb)."""
    return (f"the terminal cannot show the app (TERM={term} has no cursor control); use a "
            "terminal such as xterm (TERM=xterm-256color), or train headless with "
            f"'{PROG} train --steps N'")


def build_app_parser() -> Parser:
    """The parser for ``tui-symmetry [OPTIONS]`` (the app)."""
    parser = Parser.command(
        None,
        usage=f"{PROG} [OPTIONS]\n       {PROG} train {STEPS_OR_SCENE} [OPTIONS] [--json] "
        f"[--export FILE]\n       {PROG} scenarios"
        f"\n       {PROG} serve [--host HOST] [--port N] [OPTIONS]",
        description=APP_DESCRIPTION,
        epilog=APP_EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_run_options(parser)
    add_app_options(parser)
    return parser


def run(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """``tui-symmetry [OPTIONS]``: validate everything, then hand over to the app."""
    if argv and not argv[0].startswith("-"):
        raise UsageError(f"unknown command {argv[0]!r}; the commands are "
                         f"{', '.join(COMMANDS)} (no command opens the app)")
    args = build_app_parser().parse_args(argv)
    config = build_config(args)
    fps, speed = app_options(args)
    # Checked before anything starts: without a terminal the app would wait forever for
    # keys that cannot come (and outlive a dropped SSH link), with its training child.
    # Served to a browser, the keys come over stdin from the page instead.
    if not served_by_web_driver():
        if not has_terminal():
            raise UsageError(NO_TERMINAL)
        # Rich takes such a terminal to be 80x25 whatever its size and Textual's driver
        # reads the real size: the app resized between the two for ever (a frozen
        # screen that q could not leave).
        term = os.environ.get("TERM", "")
        if term.lower() in DUMB_TERMS:
            raise UsageError(dumb_terminal_error(term))
    # Imported here: the headless path must not pay for (or depend on) Textual.
    try:
        from tui_symmetry.app import run_app
    except ImportError as exc:
        raise RuntimeFailure(f"cannot start the app: {exc}") from None
    scenario = None if args.scenario is None else find_scenario(args.scenario)
    view = args.view or (scenario.view if scenario is not None else "all")
    try:
        status = run_app(config, fps=fps, speed=speed, scenario=scenario,
                         present=args.present, view=view)
    except Exception as exc:  # it could not start, or crashed (app.AppCrashed)
        raise RuntimeFailure(str(exc) or type(exc).__name__) from None
    return ExitCode.OK if status is None else int(status)


def has_terminal() -> bool:
    """True when the process's real stdin and stdout are both terminals.

    The real ones (``sys.__stdin__``), not ``sys.stdin``: the app draws on and reads
    from the process's own streams whatever a caller swapped in.
    """
    return isatty(sys.__stdin__) and isatty(sys.__stdout__)
