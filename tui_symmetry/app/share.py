"""The files the app writes (``w``, F12, ``e``) and the notices that say so.  The
command line and the TOML of a run are written (and read back) in settings.py.

Plain functions of a Config (no Textual): the app writes what they return, and tests
parse the results back through the CLI.

Every file the app writes is named after the run (``_stem``: the scene or the dataset,
the hidden units, the seed) and never replaces a file: a name in use gets ``-2``,
``-3``, ... (:func:`tui_symmetry.export.write_new_file`), unless the file there already
holds exactly what would be written, which the notice then says.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui_symmetry.app.controller import Notice
from tui_symmetry.core.config import Config
from tui_symmetry.export import CannotWrite, dumps_document, write_new_file
from tui_symmetry.scenarios import Scenario
from tui_symmetry.settings import PROG, settings_toml


def _stem(config: Config, scenario: Scenario | None) -> str:
    what = scenario.name if scenario is not None else config.dataset
    return f"{PROG}-{what}-h{config.hidden}-seed{config.seed}"


CONFIG_SUFFIX = ".config.toml"


def config_file_name(config: Config, scenario: Scenario | None = None) -> str:
    """A name that says what the file is: ``tui-symmetry-epsilon-split-h8-seed0.config.toml``."""
    return f"{_stem(config, scenario)}{CONFIG_SUFFIX}"


def screenshot_name(config: Config, step: int, scenario: Scenario | None = None,
                    view: str = "all") -> str:
    """``tui-symmetry-xor-h8-seed0-step1200-units.svg``: the view too, so pictures of
    one step in two views have two names."""
    return f"{_stem(config, scenario)}-step{step}-{view}.svg"


def export_name(config: Config, step: int, scenario: Scenario | None = None) -> str:
    """``tui-symmetry-xor-h8-seed0-step1200.json``, named like the other files."""
    return f"{_stem(config, scenario)}-step{step}.json"


def write_config(directory: Path, config: Config,
                 scenario: Scenario | None = None) -> tuple[Path, bool]:
    """Write ``config`` as TOML into ``directory``, atomically, replacing no file.

    Returns (its path, False if an existing file already held exactly these settings);
    raises :class:`~tui_symmetry.export.CannotWrite`.
    """
    return write_new_file(directory, _stem(config, scenario), CONFIG_SUFFIX,
                          settings_toml(config, scenario))


def save_config(directory: Path, config: Config, scenario: Scenario | None) -> Notice:
    """``w``: write the settings (:func:`write_config`); the notice that says where."""
    return _saved(lambda: write_config(directory, config, scenario),
                  "saved", "already saved", "config")


def save_screenshot(directory: Path, config: Config, step: int, scenario: Scenario | None,
                    view: str, render: Callable[[str], str]) -> Notice:
    """F12: write ``render(title)`` (the screen as SVG) under :func:`screenshot_name`."""
    name = screenshot_name(config, step, scenario, view)
    return _saved(lambda: write_new_file(directory, name.removesuffix(".svg"), ".svg",
                                         render(name)),
                  "screenshot", "screenshot already saved", "screenshot")


def save_export(directory: Path, document: dict[str, Any],
                scenario: Scenario | None) -> Notice:
    """``e``: write the run document (docs/contracts.md, "Export") under
    :func:`export_name`, named after the settings the run started with."""
    name = export_name(Config.from_dict(document["config"]), int(document["step"]), scenario)
    return _saved(lambda: write_new_file(directory, name.removesuffix(".json"), ".json",
                                         dumps_document(document)),
                  "exported", "already exported", "export")


def export_notice(directory: Path, export: Callable[[], dict[str, Any]],
                  scenario: Scenario | None) -> Notice:
    """``e`` from start to end: ask the runner for the document (``export``), write it
    into ``directory``, and say where it went, or why not (the run goes on either way)."""
    try:
        return save_export(directory, export(), scenario)
    except Exception as error:  # report, never crash: the run goes on
        return Notice(f"export failed: {error}", "error")


def _saved(write: Callable[[], tuple[Path, bool]], done: str, again: str,
           what: str) -> Notice:
    """Run ``write`` and say what came of it in one line: the path, or why not."""
    try:
        path, written = write()
    except CannotWrite as error:
        return Notice(f"{what} not saved: {error.reason}", "error")
    return Notice(f"{done} {path}" if written else f"{again}: {path}")
