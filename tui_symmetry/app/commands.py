"""The command palette (ctrl+p): every action and every settings change by name.

Besides one entry per key binding and one per choice ("Init: symmetric", "Dataset:
moons", ...), typing a setting and a value ("lr 0.05", "tie 0.1") offers to set it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui_symmetry.app.controls import LABELS, format_value
from tui_symmetry.core.config import FIELD_BY_NAME, FIELDS, ConfigError

if TYPE_CHECKING:
    from tui_symmetry.app.app import SymmetryApp

CHOICE_TITLES = {
    "init": "Init",
    "dataset": "Dataset",
    "activation": "Activation",
    "optimizer": "Optimizer",
}

_SET_QUERY = re.compile(r"^\s*(?:set\s+)?([a-z_ ε-]+?)\s*(?:=|:|\s)\s*(\S+)\s*$", re.IGNORECASE)


def _field_for(text: str) -> str | None:
    """The field a user means by ``text`` (``lr``, ``batch size``, ``test-fraction``, ``ε``)."""
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    if key in FIELD_BY_NAME:
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

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        """(title, help, callback) for every action and every choice of every setting."""
        app = self._app
        commands: list[tuple[str, str, Callable[[], Any]]] = []
        for title, action, keys in app.palette_actions():
            commands.append((title, f"key: {keys}", partial(app.run_action, action)))
        config = app.config
        for spec in FIELDS:
            if spec.choices:
                current = getattr(config, spec.name)
                for choice in spec.choices:
                    title = f"{CHOICE_TITLES.get(spec.name, spec.name)}: {choice}"
                    help_text = spec.help + (" (current)" if choice == current else "")
                    commands.append(
                        (title, help_text, partial(app.request_setting, spec.name, choice))
                    )
        for spec in FIELDS:
            if not spec.choices:
                value = format_value(getattr(config, spec.name))
                title = f"Edit {LABELS[spec.name]} (now {value})"
                how = "live" if spec.live else "resets the network"
                commands.append(
                    (title, f"{spec.help}; {spec.describe_range()}; {how}",
                     partial(app.focus_setting, spec.name))
                )
        return commands

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        direct = self._direct_setting(query)
        if direct is not None:
            yield direct
        matcher = self.matcher(query)
        prefix = query.strip().lower()
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                # "init" should list "Init: ..." before "...initial weights".
                score = 1.0 if title.lower().startswith(prefix) else min(score, 0.99)
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)

    def _direct_setting(self, query: str) -> Hit | None:
        """A hit for queries like ``lr 0.05`` or ``set tie = 0.1``, when the value is valid."""
        match = _SET_QUERY.match(query)
        if match is None:
            return None
        name = _field_for(match.group(1))
        if name is None:
            return None
        try:
            value = FIELD_BY_NAME[name].coerce(match.group(2))
        except ConfigError:
            return None
        title = f"Set {LABELS[name]} = {format_value(value)}"
        spec = FIELD_BY_NAME[name]
        return Hit(
            1.0,
            title,
            partial(self._app.request_setting, name, value),
            text=title,
            help="applies live" if spec.live else "resets the network",
        )
