"""The command line: `tui-symmetry` opens the app, `tui-symmetry train` runs headless,
`tui-symmetry scenarios` lists the lecture's scenes, `tui-symmetry serve` serves the app
to a browser.

The contract (options, exit status, output) is in docs/contracts.md, "Command line".

Every run option is generated from :data:`tui_symmetry.core.config.FIELDS`, so the flags,
their help and their validation can never drift from the app's controls.  Values stay
strings until ``FieldSpec.coerce`` checks them: its one-line ConfigError, naming the valid
range, is the error message the user sees.

Exit status: 0 done (a diverged run is a result, not an error), 1 a runtime failure
(the export cannot be written, the app cannot start), 2 bad input of any kind (the app
started without a terminal included), 130 interrupted.  Every failure is exactly one
``tui-symmetry: error: ...`` line on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import re
import stat
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn, TextIO

import numpy as np

from tui_symmetry import __version__
from tui_symmetry.core.config import FIELD_BY_NAME, FIELDS, Config, ConfigError, FieldSpec
from tui_symmetry.core.saddle import join_words, reading_name, reading_words
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.export import (
    CannotWrite,
    check_writable,
    not_a_regular_file,
    os_error_reason,
    run_document,
    write_json_atomic,
)
from tui_symmetry.options import DEFAULT_FPS, FPS, SPEED, VIEWS, parse_speed
from tui_symmetry.scenarios import SCENARIOS, Scenario, UnknownScenario, get_scenario
from tui_symmetry.scenarios import listing as scenario_listing
from tui_symmetry.serve import DEFAULT_HOST, DEFAULT_PORT, PORT, served_by_web_driver

PROG = "tui-symmetry"

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# Options that are not run settings reuse FieldSpec, so their messages read like the rest.
STEPS = FieldSpec("steps", int, "training steps to run", "train", low=1, high=10**9)
STEPS_OR_SCENE = "(--steps N | --scenario NAME)"
"""How train, compare and sweep are told how long to run, in their usage lines."""
STEPS_DEFAULT = "default with --scenario: the scene's point step, where its caption holds"
"""What --steps defaults to, in the help of train, compare and sweep."""

# The progress bar redraws after every chunk of steps; ~0.1 s keeps it lively while the
# per-chunk overhead (a loss evaluation, a redraw) stays far below 1 % of the time.
CHUNK_SECONDS = 0.1
FIRST_CHUNK = 50
# Runs expected to finish sooner than this get no progress bar: it would only flash.
PROGRESS_AFTER_SECONDS = 0.5

GROUP_TITLES = {
    "training": "data, network and training",
    "init": "initialization",
    "regularization": "regularization",
}

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


class UsageError(Exception):
    """Bad command-line input: reported as one line, exit status 2."""


class RuntimeFailure(Exception):
    """The input was fine but the work could not be done: one line, exit status 1."""


class OutputFailure(RuntimeFailure):
    """stdout cannot be written (a full disk, a file size limit): exit status 1."""


def write_output(stream: TextIO, text: str) -> None:
    """Write a command's result to ``stream`` (stdout) and flush it.

    A reader that went away (BrokenPipeError) is left to :func:`main`; any other
    failure to write becomes one line, not a traceback.
    """
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputFailure(f"cannot write the output: {os_error_reason(exc)}") from None


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


SPEED_RANGE = f"{SPEED.describe_range()} or 'full'"


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage dump) and never exit by itself.

    ``main`` turns the raised UsageError into the message and exit status 2, so tests can
    call ``main`` in-process and nothing is printed twice.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # flag -> valid values in words, to complete argparse's own messages.  Every
        # option that takes a value is in here.
        self.ranges: dict[str, str] = {}

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        words = sys.argv[1:] if args is None else args
        return super().parse_args(self.attach_dash_values(words), namespace)

    def attach_dash_values(self, args: Sequence[str]) -> list[str]:
        """``--lr -1`` becomes ``--lr=-1``: a value may start with a dash.

        argparse takes ``-1``, ``-1e-3`` or ``-inf`` after an option for another option
        (which ones depends on the Python version), so ``--steps -5`` could end up
        anywhere but in the range check.  Written ``--opt=value`` there is no doubt.
        Only a single-dash word that is not itself an option is attached:
        ``--hidden --lr 0.1`` still says that --hidden expects a value.
        """
        # _option_string_actions: argparse's own table of every option string.
        return join_option_values(args, lambda word, following: (
            word in self.ranges and following.startswith("-")
            and not following.startswith("--")
            and following not in self._option_string_actions))

    def error(self, message: str) -> NoReturn:
        # argparse says "argument --hidden: expected one argument"; the user also needs
        # to know what to give it.
        match = re.fullmatch(r"argument (--[\w-]+): expected one argument", message)
        if match and match.group(1) in self.ranges:
            message = f"{message} ({self.ranges[match.group(1)]})"
        raise UsageError(message)


def join_option_values(args: Sequence[str], attach: Callable[[str, str], bool]) -> list[str]:
    """``OPTION VALUE`` becomes ``OPTION=VALUE`` wherever ``attach(OPTION, VALUE)`` holds.

    For values argparse would otherwise take for options of their own; everything after
    ``--`` is left as it is.
    """
    out: list[str] = []
    words = list(args)
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            out.extend(words[i:])
            break
        if i + 1 < len(words) and attach(word, words[i + 1]):
            out.append(f"{word}={words[i + 1]}")
            i += 2
            continue
        out.append(word)
        i += 1
    return out


def _metavar(spec: FieldSpec) -> str:
    if spec.choices:
        return "NAME"
    return "N" if spec.kind is int else "X"


def _help_for(spec: FieldSpec, default: Any) -> str:
    text = f"{spec.help}; {spec.describe_range()} (default: {default})"
    return text.replace("%", "%%")  # argparse %-formats help strings


def _add_run_options(parser: _Parser) -> None:
    """One flag per Config field, grouped like the app's panels.

    default=SUPPRESS: only flags the user actually typed appear in the namespace, so they
    can override a --config file field by field.
    """
    defaults = Config()
    groups: dict[str, argparse._ArgumentGroup] = {}
    for spec in FIELDS:
        group = groups.get(spec.group)
        if group is None:
            group = groups[spec.group] = parser.add_argument_group(
                GROUP_TITLES.get(spec.group, spec.group)
            )
        group.add_argument(
            spec.flag,
            dest=spec.name,
            default=argparse.SUPPRESS,
            metavar=_metavar(spec),
            help=_help_for(spec, getattr(defaults, spec.name)),
        )
        parser.ranges[spec.flag] = spec.describe_range()
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=None,
        help="start from the settings in a TOML or JSON file (a flat table of the run "
        "options, or a `train --json` output / export); flags given here override it",
    )
    parser.ranges["--config"] = "a .toml or .json file"
    parser.add_argument(
        "--scenario",
        metavar="NAME",
        default=None,
        help="start from a built-in scenario (tui-symmetry scenarios lists them); "
        "--config and flags given here override it",
    )
    parser.ranges["--scenario"] = "one of " + ", ".join(SCENARIOS)


def build_app_parser() -> _Parser:
    """The parser for ``tui-symmetry [OPTIONS]`` (the app)."""
    parser = _Parser(
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
    _add_run_options(parser)
    _add_app_options(parser)
    return parser


APP_VIEWS = VIEWS
"""The app's views (options.VIEWS: the cli needs no Textual)."""


def _add_app_options(parser: _Parser) -> None:
    """The options of the app that are not run settings: --fps, --speed, --present."""
    app = parser.add_argument_group("app")
    app.add_argument(
        "--fps", default=None, metavar="X", help=_help_for(FPS, DEFAULT_FPS),
    )
    parser.ranges["--fps"] = FPS.describe_range()
    app.add_argument(
        "--speed", default=None, metavar="X",
        help=_help_for(SPEED, "full"),
    )
    parser.ranges["--speed"] = SPEED_RANGE
    app.add_argument(
        "--present", action="store_true",
        help="start in presentation mode (P or F5 in the app): no settings or footer, "
             "the view and the scene's caption get the room",
    )
    app.add_argument("--view", default=None, choices=APP_VIEWS,
                     help="the view to open on (default: the scene's view, else all)")


def build_train_parser() -> _Parser:
    """The parser for ``tui-symmetry train ...`` (headless)."""
    parser = _Parser(
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
    _add_run_options(parser)
    return parser


# -- configuration -------------------------------------------------------------------


def load_config_file(path: str) -> dict[str, Any]:
    """Read run settings from a TOML or JSON file (chosen by extension), validated.

    The file is a flat table of options (``hidden = 8``; ``test-fraction`` or
    ``test_fraction``) or a document holding one under ``config`` — so a ``train --json``
    output or an export can seed a new run.  Raises UsageError naming the file.
    """
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".toml", ".json"):
        raise UsageError(f"config {path}: unknown file type {ext or '(none)'!r}; "
                         "use a .toml or .json file")
    raw = _read_regular_file(path)
    try:
        # utf-8-sig: a byte-order mark, as some Windows editors write, is not a setting.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"config {path}: not UTF-8 text") from None
    if not text.strip():
        # One rule for both formats: an empty file is more likely a failed copy than a
        # wish for the defaults, which a file says with {} or a comment.
        raise UsageError(f"config {path}: the file is empty (a file of the defaults holds "
                         "{} in JSON, or a comment in TOML)")
    try:
        document = json.loads(text) if ext == ".json" else _toml_loads(text)
    except ValueError as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise UsageError(f"config {path}: invalid {ext[1:].upper()}: {exc}") from None
    except RecursionError:  # both parsers recurse once per level of [ or {
        raise UsageError(f"config {path}: invalid {ext[1:].upper()}: nested too deeply"
                         ) from None
    if isinstance(document, dict) and isinstance(document.get("config"), dict):
        document = document["config"]
    if not isinstance(document, dict):
        raise UsageError(f"config {path}: expected a table of settings")
    values: dict[str, Any] = {}
    for key, value in document.items():
        name = str(key).replace("-", "_")
        spec = FIELD_BY_NAME.get(name)
        if spec is None:
            raise UsageError(f"config {path}: unknown setting {key!r}")
        try:
            values[name] = spec.coerce(value)
        except ConfigError as exc:
            raise UsageError(f"config {path}: {exc}") from None
    return values


def _read_regular_file(path: str) -> bytes:
    """The bytes of ``path``, refusing (UsageError) anything but a regular file.

    Checked before opening: opening a FIFO waits for a writer for ever, a device may
    never end (/dev/zero) or act on being opened.  O_NONBLOCK and a second look at the
    opened file close the gap in which the name could change.
    """
    try:
        before = os.stat(path).st_mode
        if stat.S_ISREG(before):
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            with os.fdopen(fd, "rb") as fh:
                opened = os.fstat(fh.fileno()).st_mode
                if stat.S_ISREG(opened):
                    return fh.read()
                before = opened
    except OSError as exc:
        raise UsageError(f"cannot read config {path}: {_reason(exc)}") from None
    raise UsageError(f"config {path}: {not_a_regular_file(path, before)}")


def _toml_loads(text: str) -> Any:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError:
            raise UsageError(
                "TOML config files need Python 3.11+ (or the tomli package); use JSON"
            ) from None
    return tomllib.loads(text)


def build_config(args: argparse.Namespace) -> Config:
    """The Config of --scenario, overlaid with --config, overlaid with the typed flags.

    Raises UsageError with the core's one-line message (it names the valid range).
    """
    values: dict[str, Any] = {}
    if args.scenario is not None:
        values.update(find_scenario(args.scenario).config.to_dict())
    if args.config is not None:
        values.update(load_config_file(args.config))
    given = vars(args)
    for spec in FIELDS:
        if spec.name in given:
            try:
                values[spec.name] = spec.coerce(given[spec.name])
            except ConfigError as exc:
                raise UsageError(str(exc)) from None
    try:
        # Checks what no single field can, e.g. samples × test-fraction too small.
        return Config.from_dict(values)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def find_scenario(name: str) -> Scenario:
    """The built-in scenario ``name``; UsageError listing every name when there is none."""
    try:
        return get_scenario(name)
    except UnknownScenario as exc:
        raise UsageError(str(exc)) from None


def steps_to_run(args: argparse.Namespace, command: str) -> int:
    """``--steps`` as given; without it, the point step of ``--scenario`` (the step by
    which the scene's caption holds); a UsageError when there is neither."""
    if args.steps is not None:
        return _coerce_option(STEPS, args.steps)
    if args.scenario is not None:
        return find_scenario(args.scenario).point_step
    raise missing_steps(command)


def missing_steps(command: str) -> UsageError:
    """The error of ``command`` run with neither ``--steps`` nor a scene to take them from."""
    return UsageError(f"{command} needs --steps N ({STEPS.describe_range()}), or "
                      "--scenario NAME to run a scene to its point step")


def _coerce_option(spec: FieldSpec, value: str) -> Any:
    try:
        return spec.coerce(value)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


# -- the app ---------------------------------------------------------------------------


def run_app_command(argv: Sequence[str]) -> int:
    """``tui-symmetry [OPTIONS]``: validate everything, then hand over to the app."""
    if argv and not argv[0].startswith("-"):
        raise UsageError(f"unknown command {argv[0]!r}; the commands are "
                         f"{', '.join(COMMANDS)} (no command opens the app)")
    args = build_app_parser().parse_args(argv)
    config = build_config(args)
    fps, speed = _app_options(args)
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
    return EXIT_OK if status is None else int(status)


def _app_options(args: argparse.Namespace) -> tuple[float, float | None]:
    """(fps, speed) of the app; without --speed, a scenario's narration speed."""
    fps = DEFAULT_FPS if args.fps is None else _coerce_option(FPS, args.fps)
    if args.speed is None and args.scenario is not None:
        return fps, find_scenario(args.scenario).speed
    return fps, _parse_speed_option(args.speed)


def _parse_speed_option(value: str | None) -> float | None:
    """--speed as steps/s, None for full speed (the default)."""
    try:
        return parse_speed(value)
    except ConfigError:
        raise UsageError(f"speed: {value!r} is not {SPEED_RANGE}") from None


def has_terminal() -> bool:
    """True when the process's real stdin and stdout are both terminals.

    The real ones (``sys.__stdin__``), not ``sys.stdin``: the app draws on and reads
    from the process's own streams whatever a caller swapped in.
    """
    return _isatty(sys.__stdin__) and _isatty(sys.__stdout__)


# -- scenarios and serve ------------------------------------------------------------------


def build_scenarios_parser() -> _Parser:
    """The parser for ``tui-symmetry scenarios`` (no options but --help)."""
    return _Parser(prog=f"{PROG} scenarios", usage=f"{PROG} scenarios",
                   description=SCENARIOS_DESCRIPTION,
                   formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)


def run_scenarios_command(argv: Sequence[str], stdout: TextIO) -> int:
    """``tui-symmetry scenarios``: one ``name  title`` line per built-in scenario."""
    build_scenarios_parser().parse_args(argv)
    write_output(stdout, scenario_listing())
    return EXIT_OK


def build_serve_parser() -> _Parser:
    """The parser for ``tui-symmetry serve``: --host, --port and every app option."""
    parser = _Parser(
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
    _add_run_options(parser)
    _add_app_options(parser)
    return parser


def run_serve_command(argv: Sequence[str], stderr: TextIO) -> int:
    """``tui-symmetry serve``: check the app options here, then serve until Ctrl+C."""
    args = build_serve_parser().parse_args(argv)
    port = _coerce_option(PORT, args.port)
    # Every tab runs the app with these options: a bad one is reported now, once,
    # not as a page that closes again.
    build_config(args)
    _app_options(args)
    from tui_symmetry.serve import ServeError, serve

    try:
        serve(args.host, port, served_app_args(args), stderr)
    except ServeError as exc:
        raise RuntimeFailure(str(exc)) from None
    return EXIT_OK


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

    # A diverging run overflows on purpose; numpy's RuntimeWarnings would only clutter
    # stderr (the summary says "diverged").
    with np.errstate(all="ignore"):
        trainer = Trainer(config)
        show_progress = not args.json and _isatty(stderr)
        ran, seconds = _train(trainer, steps, stderr if show_progress else None)
        trainer.learn_one_unit_loss()
        snapshot = trainer.snapshot(steps_per_s=ran / seconds if seconds > 0 else 0.0)
        document = run_document(trainer) if args.export is not None else None

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
    return EXIT_OK


def _train(trainer: Trainer, steps: int, progress_to: TextIO | None) -> tuple[int, float]:
    """Run ``steps`` steps in chunks; returns (steps run, seconds spent training).

    Chunking does not change the result (Trainer.step(a) then step(b) equals step(a+b));
    it lets a progress bar follow along.  Stops early when the run diverges.
    """
    ran = 0
    seconds = 0.0
    chunk = min(steps, FIRST_CHUNK)
    progress = None
    task = None
    try:
        while ran < steps and not trainer.diverged:
            start = time.perf_counter()
            ran += trainer.step(min(chunk, steps - ran))
            seconds += time.perf_counter() - start
            rate = ran / seconds if seconds > 0 else 0.0
            chunk = max(1, int(rate * CHUNK_SECONDS))
            if progress_to is None or trainer.diverged or ran >= steps:
                continue
            if progress is None:
                if rate and (steps - ran) / rate < PROGRESS_AFTER_SECONDS:
                    continue
                progress, task = _start_progress(progress_to, steps, ran)
            progress.update(task, completed=ran, rate=f"{rate:,.0f}",
                            loss=f"{trainer.train_loss():.4g}")
            progress.refresh()
    finally:
        if progress is not None:
            progress.stop()
    return ran, seconds


def _start_progress(stream: TextIO, total: int, completed: int) -> tuple[Any, Any]:
    """A rich progress bar on ``stream`` (stderr), refreshed by hand after each chunk."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("training"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} steps/s"),
        TextColumn("loss {task.fields[loss]}"),
        TimeRemainingColumn(),
        console=Console(file=stream),
        # No refresh thread: it would compete with training for the GIL.
        auto_refresh=False,
        transient=True,
    )
    task = progress.add_task("train", total=total, completed=completed, rate="…", loss="…")
    progress.start()
    return progress, task


def format_summary(summary: Mapping[str, Any], requested: int, chance: float,
                   export: str | None, has_test: bool) -> str:
    """The human-readable report of a ``train`` run: a few aligned ``label  value`` lines."""
    rows = summary_rows(summary, requested, chance, export, has_test)
    width = max(len(label) for label, _ in rows)
    return "".join(f"{label:<{width}}  {value}\n" for label, value in rows)


def summary_rows(summary: Mapping[str, Any], requested: int, chance: float,
                 export: str | None, has_test: bool) -> list[tuple[str, str]]:
    """The ``(label, value)`` rows of a run's report (``compare`` sets two side by side).

    ``summary`` is Snapshot.summary(); a loss of None there means it was
    not finite (a diverged run), except a test loss without a test split.
    """
    hidden = summary["config"]["hidden"]
    step = summary["step"]
    rows: list[tuple[str, str]] = []
    rows.append(("steps", f"{step:,}" if step == requested else f"{step:,} of {requested:,}"))
    loss = _num(summary["loss"])
    if has_test:
        loss = f"{loss}  (test {_num(summary['test_loss'])})"
    rows.append(("loss", loss))
    if summary["accuracy"] is not None:
        rows.append(("accuracy", f"{100 * summary['accuracy']:.1f} %"))
    symmetry = summary["symmetry_index"]  # None: undefined (fewer than two live units)
    rows.append(("symmetry index", f"{'—' if symmetry is None else f'{symmetry:.3f}'}"
                 f"  (chance {chance:.3f})"))
    if summary.get("similarity_measure"):
        rows.append(("similarity", summary["similarity_measure"]))
    rows.append(("distinct units", f"{summary['distinct_units']} / {hidden}"))
    rows += _change_rows(summary)
    dead = f"{summary['dead_units']} / {hidden}"
    kinds = [(summary.get("constant_units", 0), "constant"),
             (summary.get("inactive_units", 0), "never active")]
    told = [f"{count} {word}" for count, word in kinds if count]
    rows.append(("dead units", dead + (f"  ({', '.join(told)})" if told else "")))
    saddle = _saddle_text(summary)
    if saddle:
        rows.append((reading_name(summary["distinct_units"]), saddle))
    one_unit = _one_unit_text(summary)
    if one_unit is not None:
        rows.append(("one-unit loss", one_unit))
    gap = summary["max_unit_gap"]
    # Exactly 0.0 is the interesting case: the units are copies down to the last bit.
    if gap is None:  # the summary makes non-finite numbers None (JSON-ready)
        gap_text = "not finite"
    else:
        gap_text = "0.0  (bit-identical)" if gap == 0.0 else f"{gap:.4g}"
    rows.append(("max unit gap", gap_text))
    rows.append(("diverged", "yes (last finite state reported)" if summary["diverged"]
                 else "no"))
    rows.append(("speed", f"{summary['steps_per_s']:,.0f} steps/s"))
    if export is not None:
        rows.append(("export", export))
    return rows


def _one_unit_text(summary: Mapping[str, Any]) -> str | None:
    """The one-unit line and what this run's loss says against it, or None.

    The best network of identical units equals the best one-unit network: the line a
    run must cross to gain anything from having several units.  Only units that
    differ can be credited with crossing it: bit-identical units are one unit (the line
    comes down to their own loss, core/trainer.py), and for units that are still alike
    a loss below it says more about the line (an optimizer's upper bound) than the run.
    """
    line, loss = summary.get("one_unit_loss"), summary["loss"]
    if line is None or loss is None:
        return None
    value = f"{line:.6g}"
    if summary.get("one_unit_weights_grow"):
        value += " as weights grow"  # only approached, never reached (core/one_unit.py)
    best = "best with identical units"
    if summary.get("one_unit_source") == "this run":
        best += ": this run's own, lower than the optimizer's"
    if summary["max_unit_gap"] == 0.0:
        where = "the units are identical: this run is one unit"
    elif loss >= line - 1e-9:
        where = "not below it: no better than one unit"
    elif summary["distinct_units"] <= 1:
        where = "below it, but the units are alike: the line is an upper bound, no payoff"
    else:
        where = "below it: different units pay off"
    return f"{value}  ({best}; {where})"


def _change_rows(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The rows of lasting splits and merges (core/lasting.py), those still pending, and
    how many raw changes of the count were undone too soon to count."""
    window = summary.get("lasting_steps")
    pending = summary.get("not_yet_lasting") or []
    lasting = [(summary.get("splits") or [], [c for c in pending if c[2] > c[1]]),
               (summary.get("merges") or [], [c for c in pending if c[2] < c[1]])]
    rows = [("splits", _changes_text(*lasting[0], window))]
    if lasting[1][0] or lasting[1][1]:
        rows.append(("merges", _changes_text(*lasting[1], window)))
    counted = {change[0] for changes, waiting in lasting for change in [*changes, *waiting]}
    brief = sum(1 for event in summary.get("unit_events") or [] if event[0] not in counted)
    if brief and window is not None:
        rows.append(("brief changes", f"{brief} undone within {window:,} steps "
                     "(not splits or merges)"))
    return rows


def _changes_text(changes: Sequence[Sequence[int]], pending: Sequence[Sequence[int]],
                  window: int | None, shown: int = 3) -> str:
    """``at step 1,540: 1 → 2; at 1,610: 2 → 3; and 4 more`` (or ``none``), then the
    pending ones: ``; 4 → 5 at 2,950 lasts if the count holds to 3,049``."""
    parts = [f"at step {step:,}: {before} → {after}" if i == 0
             else f"at {step:,}: {before} → {after}"
             for i, (step, before, after) in enumerate(changes[:shown])]
    more = len(changes) - shown
    text = "; ".join(parts) + (f"; and {more} more" if more > 0 else "") if parts else "none"
    for step, before, after in pending:
        holds = f" lasts if the count holds to {step + window - 1:,}" if window else ""
        text += f"{'; then' if parts else ' yet:'} {before} → {after} at {step:,}{holds}"
    return text


def _saddle_text(summary: Mapping[str, Any]) -> str | None:
    """The saddle reading in words (the panel's, at full length), or None without one."""
    pieces = reading_words(summary, lambda value: f"{value:+.3g}",
                           lambda value: f"{value:,.0f}", named=False)
    if not pieces:
        return None
    return functools.reduce(join_words, (piece[0] for piece in pieces[1:]), pieces[0][0])


def _num(value: float | None) -> str:
    return "not finite" if value is None else f"{value:.6g}"


def _isatty(stream: TextIO | None) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def _reason(exc: BaseException) -> str:
    """An exception as a short reason, without errno noise or temp-file names."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


# -- entry point ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit status (see the module docstring)."""
    args = list(sys.argv[1:] if argv is None else argv)
    stdout, stderr = sys.stdout, sys.stderr
    try:
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
    except UsageError as exc:
        return _fail(stderr, str(exc), EXIT_USAGE)
    except OutputFailure as exc:
        _silence_stdout()
        return _fail(stderr, str(exc), EXIT_RUNTIME)
    except RuntimeFailure as exc:
        return _fail(stderr, str(exc), EXIT_RUNTIME)
    except KeyboardInterrupt:
        return _fail(stderr, "interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`... | head`): nothing left to say to anyone.
        _silence_stdout()
        return EXIT_RUNTIME
    except SystemExit as exc:  # --help and --version print, then "exit" through argparse
        return exc.code if isinstance(exc.code, int) else EXIT_OK


def _silence_stdout() -> None:
    """Point stdout at devnull after it failed, so the interpreter's final flush of what
    is still buffered does not fail again (and print a complaint, exit status 120)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _fail(stderr: TextIO, message: str, status: int) -> int:
    # One line, whatever the message contains (parser output can embed newlines).
    line = " ".join(message.split())
    stderr.write(f"{PROG}: error: {line}\n")
    stderr.flush()
    return status
