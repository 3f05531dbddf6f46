"""The command palette (ctrl+p): every action and every settings change by name.

Besides one entry per key binding and one per choice ("Init: symmetric", "Dataset:
moons", ...), typing a setting and a value ("lr 0.05", "tie 0.1") offers to set it;
a value the Config refuses ("lr 1000") is offered as the Config's one-line reason
(the valid range) rather than as whatever other command the letters happen to match.
Opened over a screen with keys of its own (compare), it offers only those keys' actions.

Textual searches while the user types, so the list can still show the hits of an
earlier query when Enter comes; :class:`SymmetryPalette` waits for the search of what
was typed before it runs anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import on
from textual.await_complete import AwaitComplete
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from tui_symmetry.app.controls import LABELS, NUMBER_CHARACTERS
from tui_symmetry.app.keys import Key, palette_actions_of
from tui_symmetry.app.paging import move_page
from tui_symmetry.app.screens import Modal
from tui_symmetry.app.values import format_value
from tui_symmetry.core.config import CONTROL_FIELDS, FIELD_BY_NAME, ConfigError
from tui_symmetry.experiments.registry import EXPERIMENTS

if TYPE_CHECKING:
    from textual.app import App

    from tui_symmetry.app.app import SymmetryApp

CHOICE_TITLES = {
    "init": "Init",
    "dataset": "Dataset",
    "activation": "Activation",
    "optimizer": "Optimizer",
}

_SET_QUERY = re.compile(r"^\s*(?:set\s+)?([a-z_ ε-]+?)\s*(?:=|:|\s)\s*(\S+)\s*$", re.IGNORECASE)

EXACT_SCORE = 1.0
"""A setting and a value: the only hit listed (other commands only matched by letters)."""

HINT_SCORE = 0.5
"""A choice setting and a word that is not (yet) one of its choices: listed with the rest."""


def _field_for(text: str) -> str | None:
    """The field a user means by ``text`` (``lr``, ``batch size``, ``test-fraction``, ``ε``)."""
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    if key in LABELS:  # the app's own settings, not the CSV file's (command line only)
        return key
    for name, label in LABELS.items():
        if key == label.lower().replace(" ", "_"):
            return name
    aliases = {"learning_rate": "lr", "eps": "epsilon", "h": "hidden", "units": "hidden",
               "scheme": "init", "weight_decay": "l2", "noise_grad": "grad_noise"}
    return aliases.get(key)


class SymmetryCommands(Provider):
    """Commands of :class:`~tui_symmetry.app.app.SymmetryApp` for the command palette."""

    @property
    def _app(self) -> SymmetryApp:
        return self.app  # type: ignore[return-value]

    @property
    def _screen_keys(self) -> tuple[Key, ...] | None:
        """The keys of the screen the palette was opened on, if it has its own (compare:
        it is modal, and the palette offers only what its keys do)."""
        return getattr(self.screen, "KEY_TABLE", None)

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        """(title, help, callback) for every action and every choice of every setting."""
        app = self._app
        own_keys = self._screen_keys
        if own_keys is not None:
            return [(title, f"key: {keys}", partial(app.run_action, action, self.screen))
                    for title, action, keys in palette_actions_of(app, own_keys)]
        commands: list[tuple[str, str, Callable[[], Any]]] = []
        for title, action, keys in palette_actions_of(app):
            commands.append((title, f"key: {keys}", partial(app.run_action, action)))
        from tui_symmetry.app.experiment_screen import open_experiment

        for name, experiment in EXPERIMENTS.items():
            commands.append((f"Experiment: {experiment.title}", experiment.help,
                             partial(open_experiment, app, name)))
        config = app.config
        for spec in CONTROL_FIELDS:
            if spec.choices:
                current = getattr(config, spec.name)
                for choice in spec.choices:
                    title = f"{CHOICE_TITLES.get(spec.name, spec.name)}: {choice}"
                    help_text = spec.help + (" (current)" if choice == current else "")
                    commands.append(
                        (title, help_text, partial(app.request_setting, spec.name, choice))
                    )
                    if choice != current:
                        commands.append(
                            (f"Compare with {title}", "A (now) and B side by side, from "
                             "step 0, units matched", partial(app.compare_with, spec.name,
                                                              choice)))
        for spec in CONTROL_FIELDS:
            if not spec.choices:
                value = format_value(getattr(config, spec.name))
                title = f"Edit {LABELS[spec.name]} (now {value})"
                how = "live" if spec.live else "resets the network"
                commands.append(
                    (title, f"{spec.help}; {spec.describe_range()}; {how}",
                     partial(app.main_screen.focus_setting, spec.name))
                )
        return commands

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        direct = None if self._screen_keys is not None else self._direct_setting(query)
        if direct is not None:
            yield direct
            if direct.score >= EXACT_SCORE:
                return
        matcher = self.matcher(query)
        prefix = query.strip().lower()
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                # "init" should list "Init: ..." before "...initial weights".
                score = 1.0 if title.lower().startswith(prefix) else min(score, 0.99)
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)

    def _direct_setting(self, query: str) -> Hit | None:
        """A hit for queries like ``lr 0.05`` or ``set tie = 0.1``.

        A valid value gives "Set learning rate = 0.05" (score :data:`EXACT_SCORE`).  A
        number the Config refuses gives its reason, e.g. "lr: '1000' is out of range;
        use a number in (0, 100]", also as the only hit; choosing it reports that reason
        through the app like any refused value.  A word that is not a choice yet
        ("dataset m") is only a hint beside the fuzzy hits (the user may be typing
        "moons"); a word in a number field ("lr up", "hidden units") is no setting query.
        """
        match = _SET_QUERY.match(query)
        if match is None:
            return None
        name = _field_for(match.group(1))
        if name is None:
            return None
        spec = FIELD_BY_NAME[name]
        text = match.group(2)
        app = self._app
        try:
            value = spec.coerce(text)
        except ConfigError as error:
            if not spec.choices and not _is_number_text(text):
                return None
            title = f"Cannot set {LABELS[name]} = {text}"
            return Hit(
                HINT_SCORE if spec.choices else EXACT_SCORE,
                escape(title),
                partial(app.request_setting, name, text),
                text=title,
                help=escape(str(error)),
            )
        how = "applies live" if spec.live else "resets the network"
        if spec.choices:
            title = f"{CHOICE_TITLES.get(name, name)}: {value}"
            if value == getattr(app.config, name):
                how += " (current)"
        else:
            title = f"Set {LABELS[name]} = {format_value(value)}"
        return Hit(
            EXACT_SCORE,
            escape(title),
            partial(app.request_setting, name, value),
            text=title,
            help=how,
        )


def _is_number_text(text: str) -> bool:
    """True when ``text`` is written as a number, in range or not (``1000``, ``1e400``)."""
    if any(char.isdigit() for char in text) and set(text) <= NUMBER_CHARACTERS:
        return True
    try:
        float(text)  # also "inf", "nan": numbers the Config refuses with a reason
    except ValueError:
        return False
    return True


class SymmetryPalette(CommandPalette, Modal[None]):
    """Textual's command palette, except that Enter runs a hit of the final query.

    Textual searches in a worker that restarts at every key and keeps the previous
    list on screen until the new one is ready, so Enter right after typing "lr 0.05"
    picked the highlighted hit of an earlier query ("lr" → some other command), or
    nothing.  Here Enter waits until the search of what is typed has finished, then
    does what Textual's Enter does.  Typing again drops the waiting Enter.
    PageUp / PageDown page the list through :func:`~tui_symmetry.app.paging.move_page`:
    the list is filled as the palette opens, and Textual's own paging crashed on it
    until it was laid out (ctrl+p then a clicker's PageDown).
    It closes once however many Esc keys arrive at once (:class:`Modal`), and stops
    its countdowns as it closes.  (Relies on Textual 8's ``_GATHER_COMMANDS_GROUP``,
    ``_select_or_command``, ``_action_command_list`` and ``_stop_*_countdown``.)
    """

    _enter_waiting = False

    def dismiss(self, result: None = None) -> AwaitComplete:
        # Textual's "No matches found" and "busy" countdowns outlived the close: on a
        # loaded machine one fired while the palette was being taken down, found no
        # list (NoMatches: 'CommandList') and ended the app.
        self._stop_no_matches_countdown()
        self._stop_busy_countdown()
        return super().dismiss(result)

    def _searching(self) -> bool:
        """True while a search for the typed text is pending or running."""
        return any(
            worker.node is self
            and worker.group == self._GATHER_COMMANDS_GROUP
            and not worker.is_cancelled
            and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)
            for worker in self.app.workers
        )

    def _action_command_list(self, action: str) -> None:
        if action in ("page_up", "page_down"):
            move_page(self.query_one(CommandList), -1 if action == "page_up" else 1)
        else:
            super()._action_command_list(action)

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        # Runs before Textual's own handler, which starts the search for the new text.
        self._enter_waiting = False

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        if self._searching():
            event.stop()
            event.prevent_default()  # Textual's handler would pick from the stale list
            self._enter_waiting = True

    @on(Worker.StateChanged)
    def _search_finished(self, event: Worker.StateChanged) -> None:
        if (
            self._enter_waiting
            and event.worker.group == self._GATHER_COMMANDS_GROUP
            and event.state is WorkerState.SUCCESS
            and not self._searching()
        ):
            self._enter_waiting = False
            self._select_or_command()


def open_palette(app: App[Any]) -> None:
    """Open :class:`SymmetryPalette` (what ``App.action_command_palette`` does for Textual's)."""
    if app.use_command_palette and not CommandPalette.is_open(app):
        app.push_screen(SymmetryPalette(id="--command-palette"))
