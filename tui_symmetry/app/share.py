"""Shareable state: the command line that reproduces the app's run, its settings as a
TOML file that ``--config`` loads, and the names of the files the app writes.

Plain functions of a Config (no Textual): the app shows, copies and writes what they
return, and tests parse the results back through the CLI.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from tui_symmetry.core.config import FIELDS, Config
from tui_symmetry.export import write_text_atomic
from tui_symmetry.scenarios import Scenario

PROG = "tui-symmetry"


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
        if value != getattr(base, spec.name):
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


def config_toml(config: Config, scenario: Scenario | None = None) -> str:
    """Every setting of ``config`` as a flat TOML table, as ``--config FILE`` reads it."""
    lines = [f"# {PROG} run settings: open them with `{PROG} --config FILE`"]
    if scenario is not None:
        lines.append(f"# from the scene {scenario.name}: {scenario.title}")
    lines += [f"{spec.name} = {_toml_value(getattr(config, spec.name))}" for spec in FIELDS]
    return "\n".join(lines) + "\n"


def _stem(config: Config, scenario: Scenario | None) -> str:
    what = scenario.name if scenario is not None else config.dataset
    return f"{PROG}-{what}-h{config.hidden}-seed{config.seed}"


def config_file_name(config: Config, scenario: Scenario | None = None) -> str:
    """A name that says what the file is: ``tui-symmetry-epsilon-split-h8-seed0.config.toml``."""
    return f"{_stem(config, scenario)}.config.toml"


def screenshot_name(config: Config, step: int, scenario: Scenario | None = None) -> str:
    """``tui-symmetry-xor-h8-seed0-step1200.svg``."""
    return f"{_stem(config, scenario)}-step{step}.svg"


def write_config(directory: Path, config: Config, scenario: Scenario | None = None) -> Path:
    """Write ``config`` as TOML into ``directory``, atomically; the file's path.

    Raises OSError (the directory is missing or read-only, the disk is full); an
    existing file of that name is then left as it was.
    """
    path = (directory / config_file_name(config, scenario)).resolve()
    write_text_atomic(path, config_toml(config, scenario))
    return path
