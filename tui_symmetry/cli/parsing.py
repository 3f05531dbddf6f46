"""How the command line reads its words: the parser (one-line errors), the run options
generated from :data:`tui_symmetry.core.config.FIELDS`, the app's options, and the
Config they add up to.

Every run option is generated from FIELDS, so the flags, their help and their
validation can never drift from the app's controls.  Values stay strings until
``FieldSpec.coerce`` checks them: its one-line ConfigError, naming the valid range, is
the error message the user sees.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from tui_symmetry.cli.errors import UsageError
from tui_symmetry.core.config import FIELDS, Config, ConfigError, FieldSpec
from tui_symmetry.core.data import CSV, DEFAULT_SAMPLES, default_samples, make_dataset, table_of
from tui_symmetry.scenarios import SCENARIOS, Scenario, UnknownScenario, get_scenario
from tui_symmetry.settings import (
    DEFAULT_FPS,
    FPS,
    PROG,
    SPEED,
    VIEWS,
    SettingsFileError,
    parse_speed,
    read_settings_file,
)

# Options that are not run settings reuse FieldSpec, so their messages read like the rest.
STEPS = FieldSpec("steps", int, "training steps to run", "train", low=1, high=10**9)


STEPS_OR_SCENE = "(--steps N | --scenario NAME)"
"""How train, compare and sweep are told how long to run, in their usage lines."""


STEPS_DEFAULT = "default with --scenario: the scene's point step, where its caption holds"
"""What --steps defaults to, in the help of train, compare and sweep."""


GROUP_TITLES = {
    "training": "data, network and training",
    "init": "initialization",
    "regularization": "regularization",
    "data": "your own table (a CSV file)",
    "network": "a conv layer instead of hidden units (digits)",
}


SPEED_RANGE = f"{SPEED.describe_range()} or 'full'"


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage dump) and never exit by itself.

    ``main`` turns the raised UsageError into the message and exit status 2, so tests can
    call ``main`` in-process and nothing is printed twice.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # flag -> valid values in words, to complete argparse's own messages.  Every
        # option that takes a value is in here.
        self.ranges: dict[str, str] = {}

    @classmethod
    def command(cls, command: str | None, usage: str, description: str,
                epilog: str) -> Parser:
        """The parser of one command (``None``: the app itself): its help keeps the
        layout of ``description`` and ``epilog``, and an option is never abbreviated."""
        return cls(prog=PROG if command is None else f"{PROG} {command}", usage=usage,
                   description=description, epilog=epilog,
                   formatter_class=argparse.RawDescriptionHelpFormatter,
                   allow_abbrev=False)

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
        return join_option_values(args, lambda word, following: (
            word in self.ranges and following.startswith("-")
            and not following.startswith("--")
            and not self.is_option(following)))

    def is_option(self, word: str) -> bool:
        """True when ``word`` is one of this parser's option strings."""
        # _option_string_actions: argparse's own table of every option string.
        return word in self._option_string_actions

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


def add_run_options(parser: Parser) -> None:
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


def add_app_options(parser: Parser) -> None:
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
    app.add_argument("--view", default=None, choices=VIEWS,
                     help="the view to open on (default: the scene's view, else all)")


def build_config(args: argparse.Namespace) -> Config:
    """The Config of --scenario, overlaid with --config, overlaid with the typed flags;
    a table read and checked (:func:`with_table`).

    Raises UsageError with the core's one-line message (it names the valid range).
    """
    values = given_settings(args)
    try:
        # Checks what no single field can, e.g. samples × test-fraction too small.
        config = Config.from_dict(values)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    return with_table(config, samples_given="samples" in values)


def given_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings --scenario, --config and the typed flags give, each checked, later
    ones overriding earlier ones; ``--data`` makes the dataset csv.  UsageError when one
    is bad."""
    values: dict[str, Any] = {}
    if args.scenario is not None:
        values.update(find_scenario(args.scenario).config.to_dict())
    if args.config is not None:
        try:
            values.update(read_settings_file(args.config))
        except SettingsFileError as exc:
            raise UsageError(str(exc)) from None
    given = vars(args)
    for spec in FIELDS:
        if spec.name in given:
            try:
                values[spec.name] = spec.coerce(given[spec.name])
            except ConfigError as exc:
                raise UsageError(str(exc)) from None
    if "data" in given:
        if "dataset" in given and values["dataset"] != CSV:
            raise UsageError(f"data: a CSV file is dataset csv, not {values['dataset']}; "
                             "give --data FILE alone")
        values["dataset"] = CSV
    return values


def with_table(config: Config, samples_given: bool = True) -> Config:
    """``config`` with its table read and checked before anything is written: every
    row when ``samples`` was not given (by --scenario, --config or a flag), and a CSV
    file's sha256 (an edited file is then refused on replay).  UsageError with the
    table's one-line reason.

    A toy is not read (core/tables.py is not even imported); without samples given it
    gets the default number of points.
    """
    if not config.is_table:
        return config if samples_given else config.replace(samples=DEFAULT_SAMPLES)
    try:
        if config.dataset == CSV and not config.data_sha256:
            config = config.replace(data_sha256=table_of(config).sha256)
        if not samples_given:
            config = config.replace(samples=default_samples(config))
        make_dataset(config)  # the split's own checks: samples within the table, classes
    except (ValueError, OSError) as exc:  # TableError, ConfigError
        raise UsageError(str(exc)) from None
    return config


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
        return coerce_option(STEPS, args.steps)
    if args.scenario is not None:
        return find_scenario(args.scenario).point_step
    raise missing_steps(command)


def missing_steps(command: str) -> UsageError:
    """The error of ``command`` run with neither ``--steps`` nor a scene to take them from."""
    return UsageError(f"{command} needs --steps N ({STEPS.describe_range()}), or "
                      "--scenario NAME to run a scene to its point step")


def coerce_option(spec: FieldSpec, value: str) -> Any:
    try:
        return spec.coerce(value)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def app_options(args: argparse.Namespace) -> tuple[float, float | None]:
    """(fps, speed) of the app; without --speed, a scenario's narration speed."""
    fps = DEFAULT_FPS if args.fps is None else coerce_option(FPS, args.fps)
    if args.speed is None and args.scenario is not None:
        return fps, find_scenario(args.scenario).speed
    return fps, _parse_speed_option(args.speed)


def _parse_speed_option(value: str | None) -> float | None:
    """--speed as steps/s, None for full speed (the default)."""
    try:
        return parse_speed(value)
    except ConfigError:
        raise UsageError(f"speed: {value!r} is not {SPEED_RANGE}") from None
