"""The settings panels: one row per Config field, edited from the keyboard.

Every row is built from :data:`tui_symmetry.core.config.FIELDS`, so a new setting in
the core shows up here without touching this file.  Choices are ``Select`` widgets,
numbers are ``Input`` widgets that also step up and down with the arrow keys.

The panels never change the run themselves: they post :class:`SettingRequested` and
the app decides (validate, reset or apply live, notify).  When the run's config
changes for another reason (a key, the command palette, a reset) the app calls
:meth:`SettingsPanel.sync` so the controls show what is being trained.

Editing a number: Enter or leaving the box (Tab, a click elsewhere) asks for the typed
value; Esc drops it, shows the applied value again and leaves the box.  ↑ / ↓ select
the value they show, so typing after them replaces it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select

from tui_symmetry.app.paging import compose_select, make_compact
from tui_symmetry.app.values import format_value, nudge, short_name
from tui_symmetry.core.config import FIELDS, Config, ConfigError, FieldSpec

GROUP_TITLES = {
    "init": "Initialization",
    "regularization": "Regularization",
    "training": "Training",
}

LABELS = {
    "dataset": "dataset",
    "samples": "samples",
    "noise": "data noise",
    "test_fraction": "test share",
    "arch": "network",
    "hidden": "hidden units",
    "filters": "filters",
    "kernel": "filter size",
    "activation": "activation",
    "init": "scheme",
    "init_scale": "scale",
    "epsilon": "ε",
    "optimizer": "optimizer",
    "lr": "learning rate",
    "momentum": "momentum",
    "batch_size": "batch size",
    "l1": "L1",
    "l2": "L2",
    "dropout": "dropout",
    "grad_noise": "grad noise",
    "tie": "tie",
    "seed": "seed",
}
"""Short row labels; notifications use :func:`short_name`."""

class SettingRequested(Message):
    """A control asks for ``name`` to become ``value`` (a string from a text box, or a choice)."""

    def __init__(self, name: str, value: Any) -> None:
        super().__init__()
        self.name = name
        self.value = value


def leave_settings(control: Input | Select[str]) -> None:
    """Focus nothing, so the app's keys (space, r, 1/2/3 ...) work again.

    Not ``Widget.blur``: that moves the focus on to the next setting.
    """
    control.screen.set_focus(None)


class SettingSelect(Select[str]):
    """A compact drop-down for one choice field.

    A choice applies as soon as it is picked from the list; Esc in the open list closes
    it unchanged (Textual's own binding), Esc on the closed box leaves the settings.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Leave", id="setting-leave", key_display="esc"),
    ]

    def __init__(self, spec: FieldSpec, value: str) -> None:
        super().__init__(
            [(choice, choice) for choice in spec.choices],
            value=value,
            allow_blank=False,
            id=f"setting-{spec.name}",
            tooltip=spec.help,
        )
        make_compact(self, Select.compact)
        self.spec = spec

    def compose(self) -> ComposeResult:
        # Textual's parts, with a drop-down list that survives PageDown as it opens.
        return compose_select(self, has_value=True)  # allow_blank=False and a value

    def action_leave(self) -> None:
        """Take the focus off the settings so keys drive the run again."""
        leave_settings(self)


NUMBER_CHARACTERS = frozenset("0123456789+-.eE_,")
"""Every character that can be part of a number someone types (``-1.5e-3``, ``1_000``,
``1,000``).  Only these go into a number box; in what order they may come is left to
the Config, which names the valid range when it refuses a value (``1e400``, ``1.5``
for a count)."""


class NumberInput(Input):
    """A text box for one numeric field: type a value and press Enter, or step with ↑/↓.

    Enter, or leaving the box by Tab or a click, applies what was typed; the app
    reverts the text when the value is refused.  Esc drops the typed text and leaves.
    A character that cannot be part of a number is not typed; a one-line notice says
    so (Textual's own number box drops it silently, so ``1e400`` could become ``1400``).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "nudge(1)", "Raise", id="setting-raise", key_display="↑"),
        Binding("down", "nudge(-1)", "Lower", id="setting-lower", key_display="↓"),
        Binding("enter", "submit", "Apply", id="setting-apply", key_display="enter"),
        # The box's own Esc runs before the app's: the edit is dropped, never applied.
        Binding("escape", "cancel", "Cancel edit", id="setting-cancel", key_display="esc"),
    ]

    def __init__(self, spec: FieldSpec, value: Any) -> None:
        super().__init__(
            format_value(value),
            # "text": Textual's "number" type drops, without a word, any key that does
            # not continue its pattern; here the refusal is said (replace) or left to
            # the Config, which names the range.
            type="text",
            select_on_focus=True,
            id=f"setting-{spec.name}",
            tooltip=f"{spec.help}: {spec.describe_range()}",
            validate_on=[],  # the Config decides; errors are reported once, by the app
        )
        make_compact(self, Input.compact)
        self.spec = spec
        self.applied = format_value(value)
        self._refused = ""  # the last refused character, said once until the text changes

    def replace(self, text: str, start: int, end: int) -> None:
        """Every edit (a key, a paste, a deletion) comes here: refuse non-number text."""
        if len(text) > 1:  # a paste: the spaces around a copied number are not part of it
            text = text.strip()
        refused = next((char for char in text if char not in NUMBER_CHARACTERS), None)
        if refused is None:
            self._refused = ""
            super().replace(text, start, end)
            return
        if refused != self._refused:  # a held-down key gives one notice, not dozens
            self._refused = refused
            self.notify(f"{short_name(self.spec.name)}: {refused!r} is not part of a number",
                        severity="warning", markup=False)

    def action_cancel(self) -> None:
        """Drop the typed text: show the applied value again, then leave the box.

        The text is reverted before the focus goes, so the blur that follows finds
        nothing edited and applies nothing.
        """
        self._show_text(self.applied)
        leave_settings(self)

    def show_value(self, value: Any) -> None:
        """Display ``value`` as the applied one (no message is sent)."""
        self.applied = format_value(value)
        self._show_text(self.applied)

    def _show_text(self, text: str) -> None:
        """Put ``text`` in the box without asking for anything."""
        self._refused = ""
        if self.value != text:
            with self.prevent(Input.Changed):
                self.value = text

    def action_nudge(self, direction: int) -> None:
        """Show the next value up or down at once and ask for it.

        The step starts from the text on screen, not from the applied config: keys
        pressed faster than the app applies them (auto-repeat, then Enter) still go
        200 → 199 → 198 and submit 198, in order.  The new value is selected, as on
        focus: what is typed next replaces it (8, ↑↑, 4 gives 4, not 104).
        """
        try:
            current = self.spec.coerce(self.value)
        except ConfigError:
            current = self.spec.coerce(self.applied)
        new = nudge(self.spec, current, direction)
        if new == current:
            edge = "highest" if direction > 0 else "lowest"
            self.notify(f"{short_name(self.spec.name)} is at its {edge} step: "
                        f"{format_value(current)}", severity="warning")
            return
        self._show_text(format_value(new))
        self.select_all()
        self.post_message(SettingRequested(self.spec.name, new))

    @property
    def edited(self) -> bool:
        """True when the text differs from the applied value (typed, not yet applied)."""
        return self.value.strip() != self.applied


class SettingsPanel(Vertical):
    """One group of settings (``init``, ``regularization`` or ``training``) in a border."""

    def __init__(self, group: str, config: Config, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="settings-panel")
        self.group = group
        self.border_title = GROUP_TITLES[group]
        self._specs = [spec for spec in FIELDS if spec.group == group]
        self._config = config

    def compose(self) -> ComposeResult:
        # Label and control are direct children of a two-column grid (no row
        # containers): fewer widgets make every relayout, e.g. a view switch, cheaper.
        for spec in self._specs:
            value = getattr(self._config, spec.name)
            yield Label(LABELS.get(spec.name, spec.name), classes="setting-label")
            if spec.choices:
                yield SettingSelect(spec, value)
            else:
                yield NumberInput(spec, value)

    @property
    def controls(self) -> list[SettingSelect | NumberInput]:
        """The Select / Input of every setting, in order."""
        return [
            child for child in self.children if isinstance(child, SettingSelect | NumberInput)
        ]

    def sync(self, config: Config) -> None:
        """Make every control show ``config`` (without asking for any change)."""
        self._config = config
        for control in self.controls:
            value = getattr(config, control.spec.name)
            if isinstance(control, SettingSelect):
                if control.value != value:
                    with control.prevent(Select.Changed):
                        control.value = value
            elif isinstance(control, NumberInput):
                control.show_value(value)

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        control = event.select
        if isinstance(control, SettingSelect) and event.value != getattr(
            self._config, control.spec.name
        ):
            self.post_message(SettingRequested(control.spec.name, event.value))

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if isinstance(event.input, NumberInput):
            self.post_message(SettingRequested(event.input.spec.name, event.value))

    @on(Input.Blurred)
    def _input_blurred(self, event: Input.Blurred) -> None:
        event.stop()
        # Posted by the panel, not the box: Textual stops a message from bubbling past
        # the widget whose handler sent it, and this handler runs in the panel.
        if isinstance(event.input, NumberInput) and event.input.edited:
            self.post_message(SettingRequested(event.input.spec.name, event.value))
