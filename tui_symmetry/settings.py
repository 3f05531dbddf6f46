"""How settings enter and leave, shared by the command line and the app: the program's
name, the views, and the app's options that are not run settings (the refresh rate, the
speed cap).

The options reuse :class:`~tui_symmetry.core.config.FieldSpec`, so the command line
checks them and words their errors exactly like the run settings.  Both the command
line and the app read them from here (one home: each is written once).
"""

from __future__ import annotations

import json
import os
import shlex
from typing import TYPE_CHECKING, Any, Literal

from tui_symmetry.core.config import (
    FIELD_BY_NAME,
    FIELDS,
    SET_BY_PROGRAM,
    Config,
    ConfigError,
    FieldSpec,
)
from tui_symmetry.core.files import NotRegularFile, read_regular_file
from tui_symmetry.export import keep_replay_data, not_a_regular_file

if TYPE_CHECKING:  # scenarios.py imports this module
    from tui_symmetry.scenarios import Scenario

PROG = "tui-symmetry"
"""The program's name: the command, the window title, the first word of every error."""

DEFAULT_FPS = 20.0
"""Screen refreshes per second; ``--fps`` lowers it for very slow links."""

FPS = FieldSpec("fps", float, "screen refreshes per second (lower it on a slow link)", "app",
                low=1, high=60)

View = Literal["all", "weights", "loss", "settings", "units", "gradients", "filters"]
VIEWS: tuple[View, ...] = ("all", "weights", "loss", "settings", "units", "gradients",
                           "filters")
"""The app's views, in the order of their keys 0-6 (named here, not in the app, so that
the command line and the lecture's scenes need no Textual)."""

def app_view(view: str | None, scenario: Scenario | None, fps: float) -> View:
    """The view the app opens on: ``view``, else the scene's, else "all".

    ValueError (the app's constructor's) for a view that is not one of :data:`VIEWS`
    or a refresh rate outside 1..60.
    """
    if view is None:
        view = "all" if scenario is None else scenario.view
    if view not in VIEWS:
        raise ValueError(f"view must be one of {', '.join(VIEWS)}, not {view!r}")
    if not 1 <= fps <= 60:
        raise ValueError(f"fps must be within 1..60, not {fps}")
    return view  # type: ignore[return-value]


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


# -- a run's settings, written and read: the command line, TOML, --config files ----------


class SettingsFileError(ValueError):
    """A settings file that cannot be read or holds no valid settings (one line that
    names the file)."""


def _word(value: Any) -> str:
    """A setting's value as a command-line word that parses back to the same value."""
    if isinstance(value, float):
        return f"{value:g}" if float(f"{value:g}") == value else repr(value)
    return str(value)


def command_line(config: Config, scenario: Scenario | None = None,
                 speed: float | None = None) -> str:
    """``tui-symmetry [--scenario NAME] [--flag value ...] [--speed X]``, shell-quoted.

    Only what differs from the starting point is written: the scenario's settings and
    narration speed when there is one, the defaults otherwise.  The line opens the same
    settings from step 0 (live changes made mid-run are in the settings, not in the
    trajectory: the JSON export has those).
    """
    base = scenario.config if scenario is not None else Config()
    words = [PROG]
    if scenario is not None:
        words += ["--scenario", scenario.name]
    for spec in FIELDS:
        value = getattr(config, spec.name)
        if value != getattr(base, spec.name) and spec.name not in SET_BY_PROGRAM:
            words += [spec.flag, _word(value)]
    base_speed = scenario.speed if scenario is not None else None
    if speed != base_speed:
        words += ["--speed", "full" if speed is None else _word(float(speed))]
    return shlex.join(words)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string with ASCII escapes is a TOML basic string
    if isinstance(value, float):
        return repr(value)  # always has a '.' or an exponent: stays a float in TOML
    return str(value)


def settings_toml(config: Config, scenario: Scenario | None = None) -> str:
    """Every setting of ``config`` as a flat TOML table, as ``--config FILE`` reads it."""
    lines = [f"# {PROG} run settings: open them with `{PROG} --config FILE`"]
    if scenario is not None:
        lines.append(f"# from the scene {scenario.name}: {scenario.title}")
    lines += [f"{spec.name} = {_toml_value(getattr(config, spec.name))}" for spec in FIELDS
              if spec.name not in SET_BY_PROGRAM]
    return "\n".join(lines) + "\n"


def read_settings_file(path: str) -> dict[str, Any]:
    """Read run settings from a TOML or JSON file (chosen by extension), validated.

    The file is a flat table of options (``hidden = 8``; ``test-fraction`` or
    ``test_fraction``) or a document holding one under ``config`` — so a ``train --json``
    output or an export can seed a new run.  Raises SettingsFileError naming the file.
    """
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".toml", ".json"):
        raise SettingsFileError(f"config {path}: unknown file type {ext or '(none)'!r}; "
                         "use a .toml or .json file")
    raw = _read_regular_file(path)
    try:
        # utf-8-sig: a byte-order mark, as some Windows editors write, is not a setting.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SettingsFileError(f"config {path}: not UTF-8 text") from None
    if not text.strip():
        # One rule for both formats: an empty file is more likely a failed copy than a
        # wish for the defaults, which a file says with {} or a comment.
        raise SettingsFileError(f"config {path}: the file is empty (a file of the defaults holds "
                         "{} in JSON, or a comment in TOML)")
    try:
        document = json.loads(text) if ext == ".json" else _toml_loads(text)
    except ValueError as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise SettingsFileError(f"config {path}: invalid {ext[1:].upper()}: {exc}") from None
    except RecursionError:  # both parsers recurse once per level of [ or {
        raise SettingsFileError(f"config {path}: invalid {ext[1:].upper()}: nested too "
                                "deeply") from None
    whole = document
    if isinstance(document, dict) and isinstance(document.get("config"), dict):
        document = document["config"]
    if not isinstance(document, dict):
        raise SettingsFileError(f"config {path}: expected a table of settings")
    values: dict[str, Any] = {}
    for key, value in document.items():
        name = str(key).replace("-", "_")
        spec = FIELD_BY_NAME.get(name)
        if spec is None:
            raise SettingsFileError(f"config {path}: unknown setting {key!r}")
        try:
            values[name] = spec.coerce(value)
        except ConfigError as exc:
            raise SettingsFileError(f"config {path}: {exc}") from None
    if whole is not document:
        _keep_export_rows(path, whole, values)
    return values


def _keep_export_rows(path: str, document: dict[str, Any], values: dict[str, Any]) -> None:
    """An export of a CSV run holds its rows: keep them, so the run replays with the file
    gone (a Config the settings do not make is left for the caller to refuse)."""
    try:
        config = Config.from_dict(values)
    except ConfigError:
        return
    try:
        keep_replay_data(document, config)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise SettingsFileError(f"config {path}: its data cannot be read back "
                                f"({reason(exc)})") from None


def _read_regular_file(path: str) -> bytes:
    """The bytes of ``path``, refusing (SettingsFileError) anything but a regular file
    (core/files.py says why)."""
    try:
        return read_regular_file(path)
    except NotRegularFile as exc:
        raise SettingsFileError(f"config {path}: {not_a_regular_file(path, exc.mode)}") from None
    except OSError as exc:
        raise SettingsFileError(f"cannot read config {path}: {reason(exc)}") from None


def _toml_loads(text: str) -> Any:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError:
            raise SettingsFileError(
                "TOML config files need Python 3.11+ (or the tomli package); use JSON"
            ) from None
    return tomllib.loads(text)


def reason(exc: BaseException) -> str:
    """An exception as a short reason, without errno noise or temp-file names."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
