"""The command line: `tui-symmetry` opens the app, `tui-symmetry train` runs headless,
`tui-symmetry scenarios` lists the lecture's scenes, `tui-symmetry serve` serves the app
to a browser.

The contract (options, exit status, output) is in docs/contracts.md, "Command line".

Every run option is generated from :data:`tui_symmetry.core.config.FIELDS`, so the flags,
their help and their validation can never drift from the app's controls.  Values stay
strings until ``FieldSpec.coerce`` checks them: its one-line ConfigError, naming the valid
range, is the error message the user sees.

Exit statuses and the one error line: cli/errors.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import TextIO

import numpy as np

from tui_symmetry import __version__
from tui_symmetry.cli.errors import (
    ExitCode,
    OutputFailure,
    RuntimeFailure,
    UsageError,
    fail,
    silence_stdout,
)
from tui_symmetry.cli.output import isatty, write_output
from tui_symmetry.cli.parsing import (
    STEPS,
    STEPS_DEFAULT,
    STEPS_OR_SCENE,
    Parser,
    add_app_options,
    add_run_options,
    app_options,
    build_config,
    coerce_option,
    find_scenario,
    steps_to_run,
)
from tui_symmetry.cli.progress import ChunkProgress
from tui_symmetry.cli.report import format_summary
from tui_symmetry.core.config import FIELDS
from tui_symmetry.experiments import headless
from tui_symmetry.experiments.headless import Chunk
from tui_symmetry.export import CannotWrite, check_writable, run_document, write_json_atomic
from tui_symmetry.scenarios import listing as scenario_listing
from tui_symmetry.serve import DEFAULT_HOST, DEFAULT_PORT, PORT, served_by_web_driver
from tui_symmetry.settings import PROG

APP_DESCRIPTION = (
    "Train a tiny neural network live in the terminal and watch its hidden units stay\n"
    "alike or split.  Without a command, opens the app."
)
COMMANDS = {
    "train": "train headless and print a summary (see: tui-symmetry train --help)",
    "compare": "train two runs side by side, match their units (tui-symmetry compare --help)",
    "scenarios": "list the built-in scenarios of a lecture (open one: --scenario NAME)",
    "serve": "serve the app to a web browser (see: tui-symmetry serve --help)",
    "sweep": "train a grid of runs in parallel (see: tui-symmetry sweep --help)",
}
"""Every command and its one-line help: the help text and the errors read this table."""


APP_EPILOG = (
    "commands:\n"
    + "".join(f"  {name:<10} {text}\n" for name, text in COMMANDS.items())
    + "\n"
    "Every option is also a control in the app.  Examples:\n"
    "  tui-symmetry --init symmetric --epsilon 0   # identical units: they never split\n"
    "  tui-symmetry --init xavier                  # random units: different from the start\n"
    "  tui-symmetry --scenario epsilon-split       # a scene of the lecture: a tiny nudge grows\n"
)
TRAIN_DESCRIPTION = (
    "Train without the app and print a short summary (or one JSON object with --json)."
)
TRAIN_EPILOG = (
    "examples:\n"
    "  tui-symmetry train --steps 2000\n"
    "  tui-symmetry train --init symmetric --steps 5000 --json\n"
    "  tui-symmetry train --steps 2000 --export run.json   # replayable run document\n"
    "  tui-symmetry train --scenario zero-stuck --json   # to the scene's point step\n"
)
SERVE_DESCRIPTION = (
    "Serve the app to a web browser (textual-serve): every tab that opens the page runs\n"
    "its own app with the options given here.  Listens on loopback unless --host says\n"
    "otherwise; on any other address, whoever reaches the page runs the app here."
)
SERVE_EPILOG = (
    "examples:\n"
    "  tui-symmetry serve                                  # http://127.0.0.1:8000\n"
    "  tui-symmetry serve --port 8080 --scenario random-breaks\n"
)
SCENARIOS_DESCRIPTION = (
    "List the built-in scenarios, one per line, in lecture order.  Open one with\n"
    "'tui-symmetry --scenario NAME' or train it with 'tui-symmetry train --scenario NAME'."
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
    parser = Parser(
        prog=PROG,
        usage=f"{PROG} [OPTIONS]\n       {PROG} train {STEPS_OR_SCENE} [OPTIONS] [--json] "
        f"[--export FILE]\n       {PROG} scenarios"
        f"\n       {PROG} serve [--host HOST] [--port N] [OPTIONS]",
        description=APP_DESCRIPTION,
        epilog=APP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_run_options(parser)
    add_app_options(parser)
    return parser


def build_train_parser() -> Parser:
    """The parser for ``tui-symmetry train ...`` (headless)."""
    parser = Parser(
        prog=f"{PROG} train",
        usage=f"{PROG} train {STEPS_OR_SCENE} [OPTIONS] [--json] [--export FILE]",
        description=TRAIN_DESCRIPTION,
        epilog=TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    run = parser.add_argument_group("run")
    # Not required=True: argparse's message would not say what N may be; checked below.
    run.add_argument("--steps", default=None, metavar="N",
                     help=f"{STEPS.help}; {STEPS.describe_range()} ({STEPS_DEFAULT})")
    run.add_argument("--json", action="store_true",
                     help="print one JSON object instead of the summary (no progress bar)")
    run.add_argument("--export", metavar="FILE", default=None,
                     help="write the replayable run document (JSON) to FILE, atomically")
    parser.ranges["--steps"] = STEPS.describe_range()
    parser.ranges["--export"] = "a file name"
    add_run_options(parser)
    return parser


# -- configuration -------------------------------------------------------------------


# -- the app ---------------------------------------------------------------------------


def run_app_command(argv: Sequence[str]) -> int:
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


# -- scenarios and serve ------------------------------------------------------------------


def build_scenarios_parser() -> Parser:
    """The parser for ``tui-symmetry scenarios`` (no options but --help)."""
    return Parser(prog=f"{PROG} scenarios", usage=f"{PROG} scenarios",
                   description=SCENARIOS_DESCRIPTION,
                   formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)


def run_scenarios_command(argv: Sequence[str], stdout: TextIO) -> int:
    """``tui-symmetry scenarios``: one ``name  title`` line per built-in scenario."""
    build_scenarios_parser().parse_args(argv)
    write_output(stdout, scenario_listing())
    return ExitCode.OK


def build_serve_parser() -> Parser:
    """The parser for ``tui-symmetry serve``: --host, --port and every app option."""
    parser = Parser(
        prog=f"{PROG} serve",
        usage=f"{PROG} serve [--host HOST] [--port N] [OPTIONS]",
        description=SERVE_DESCRIPTION,
        epilog=SERVE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    web = parser.add_argument_group("server")
    web.add_argument("--host", default=DEFAULT_HOST, metavar="HOST",
                     help=f"address to listen on (default: {DEFAULT_HOST}, loopback only)")
    web.add_argument("--port", default=str(DEFAULT_PORT), metavar="N",
                     help=f"{PORT.help}; {PORT.describe_range()} (default: {DEFAULT_PORT})")
    parser.ranges["--host"] = "an address or host name"
    parser.ranges["--port"] = PORT.describe_range()
    add_run_options(parser)
    add_app_options(parser)
    return parser


def run_serve_command(argv: Sequence[str], stderr: TextIO) -> int:
    """``tui-symmetry serve``: check the app options here, then serve until Ctrl+C."""
    args = build_serve_parser().parse_args(argv)
    port = coerce_option(PORT, args.port)
    # Every tab runs the app with these options: a bad one is reported now, once,
    # not as a page that closes again.
    build_config(args)
    app_options(args)
    from tui_symmetry.serve import ServeError, serve

    try:
        serve(args.host, port, served_app_args(args), stderr)
    except ServeError as exc:
        raise RuntimeFailure(str(exc)) from None
    return ExitCode.OK


def served_app_args(args: argparse.Namespace) -> list[str]:
    """The app options of a parsed ``serve`` command line, as words for the served app.

    Written ``--opt=value``, so a value starting with a dash stays a value; the config
    file's path made absolute, so it does not depend on where the app is started.
    """
    given = vars(args)
    words = []
    if args.scenario is not None:
        words.append(f"--scenario={args.scenario}")
    if args.config is not None:
        words.append(f"--config={os.path.abspath(args.config)}")
    words.extend(f"{spec.flag}={given[spec.name]}" for spec in FIELDS if spec.name in given)
    if args.fps is not None:
        words.append(f"--fps={args.fps}")
    if args.speed is not None:
        words.append(f"--speed={args.speed}")
    if args.present:
        words.append("--present")
    if args.view is not None:
        words.append(f"--view={args.view}")
    return words


# -- train -------------------------------------------------------------------------------


def run_train_command(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """``tui-symmetry train``: train headless, report, optionally export."""
    args = build_train_parser().parse_args(argv)
    steps = steps_to_run(args, "train")
    config = build_config(args)
    if args.export is not None:
        # Fail before a long run, not after it; the write itself still reports errors.
        try:
            check_writable(args.export)
        except CannotWrite as exc:
            raise RuntimeFailure(str(exc)) from None

    show_progress = not args.json and isatty(stderr)
    with ChunkProgress(stderr if show_progress else None, first_loss) as progress:
        result = headless.train(config, steps, progress)
    snapshot = result.snapshot
    with np.errstate(all="ignore"):  # as in training: a diverged run's numbers overflow
        document = run_document(result.trainer) if args.export is not None else None

    if document is not None:
        try:
            write_json_atomic(args.export, document)
        except CannotWrite as exc:
            raise RuntimeFailure(str(exc)) from None
        except ValueError as exc:  # not JSON: a bug, still one line
            raise RuntimeFailure(f"cannot write {args.export}: {exc}") from None

    summary = snapshot.summary()
    if args.json:
        write_output(stdout, json.dumps(summary, allow_nan=False) + "\n")
    else:
        write_output(stdout, format_summary(summary, steps, snapshot.chance_level,
                                            args.export, has_test=config.n_test > 0))
    return ExitCode.OK


def first_loss(chunk: Chunk) -> str:
    """The loss words of a single run's progress bar."""
    return f"{chunk.trainers[0].train_loss():.4g}"


# -- entry point ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit status (see the module docstring)."""
    args = list(sys.argv[1:] if argv is None else argv)
    stdout, stderr = sys.stdout, sys.stderr
    try:
        return int(_run(args, stdout, stderr))
    except UsageError as exc:
        return fail(stderr, str(exc), ExitCode.USAGE)
    except OutputFailure as exc:
        silence_stdout()
        return fail(stderr, str(exc), ExitCode.RUNTIME)
    except RuntimeFailure as exc:
        return fail(stderr, str(exc), ExitCode.RUNTIME)
    except KeyboardInterrupt:
        return fail(stderr, "interrupted", ExitCode.INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`... | head`): nothing left to say to anyone.
        silence_stdout()
        return int(ExitCode.RUNTIME)
    except SystemExit as exc:  # --help and --version print, then "exit" through argparse
        return exc.code if isinstance(exc.code, int) else int(ExitCode.OK)


def _run(args: list[str], stdout: TextIO, stderr: TextIO) -> int:
    """The command ``args`` names, run."""
    if args and args[0] == "train":
        return run_train_command(args[1:], stdout, stderr)
    if args and args[0] == "compare":
        from tui_symmetry.compare import run_compare_command  # it builds on this module
        return run_compare_command(args[1:], stdout, stderr)
    if args and args[0] == "scenarios":
        return run_scenarios_command(args[1:], stdout)
    if args and args[0] == "serve":
        return run_serve_command(args[1:], stderr)
    if args and args[0] == "sweep":
        from tui_symmetry.sweep import run_sweep_command  # it builds on this module
        return run_sweep_command(args[1:], stdout, stderr)
    return run_app_command(args)
