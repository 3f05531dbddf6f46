"""Every key of the app as data: one table read by the bindings, the help screen and
the command palette, so the three cannot drift apart (harlequin keeps its key maps the
same way).

A row names the keys (Textual key names, comma-separated), the action it runs on the
app, a short footer label, the full sentence shown in help and in the palette, and the
help section it belongs to.  Keys that are not bindings of the app (tab, enter in a
field, ctrl+p) are described in :data:`EXTRA_HELP` so help still lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from textual.binding import Binding

if TYPE_CHECKING:
    from textual.app import App

Section = Literal["Run", "View", "Lecture", "Settings"]
SECTIONS: tuple[Section, ...] = ("Run", "View", "Lecture", "Settings")

HelpRow = tuple[str, str]
"""(keys as shown, what they do)."""


@dataclass(frozen=True)
class Key:
    """One key binding of the app, described once."""

    keys: str
    """Comma-separated Textual key names, e.g. ``"s,full_stop"``."""
    action: str
    """The action it runs, e.g. ``"step(1)"`` (the App's) or ``"screen.view('units')"``
    (the main screen's: every other screen is modal, so App bindings reach it only)."""
    label: str
    """Short footer text."""
    help: str
    """The full sentence for the help screen and the command palette."""
    section: Section
    id: str
    """Stable binding id (a keymap can rebind it)."""
    show: bool = False
    """Shown in the footer (only the keys that matter fit in 80 columns)."""
    key_display: str | None = None
    help_keys: str | None = None
    """The keys as help shows them when one row speaks for a pair (``← / →``)."""
    in_help: bool = True
    """False for the second key of such a pair: its row is the first one's."""


KEYS: tuple[Key, ...] = (
    # -- run (the footer shows the keys marked show=True in this order: the first ones
    # are those that fit in 80 columns) -------------------------------------------------
    Key("space", "toggle_run", "Play/Pause", "Play or pause training", "Run", "play-pause",
        show=True, key_display="space"),
    Key("s,full_stop", "step(1)", "Step", "Pause and run a single step", "Run", "step",
        show=True),
    Key("S,n", "step(100)", "×100", "Pause and run 100 steps", "Run", "step-100", show=True,
        key_display="S"),
    Key("r", "reset", "Reset", "Reset the network: same settings, same seed", "Run", "reset",
        show=True),
    Key("R,N", "new_seed", "New seed", "Reset with the next seed: new data and initial "
        "weights", "Run", "new-seed", show=True, key_display="R"),
    Key("question_mark,f1", "help", "Help", "Show every key", "Run", "help", show=True,
        key_display="?"),
    Key("q,ctrl+c", "quit", "Quit", "Stop training and quit", "Run", "quit", show=True,
        key_display="q"),
    Key("e", "export", "Export", "Export the run as JSON (the file name says what it is)",
        "Run", "export", show=True),
    Key("greater_than_sign", "speed(1)", "Faster", "Faster: raise the speed cap "
        "(1, 10, 100, 1,000 steps/s, full)", "Run", "speed-up", key_display=">"),
    Key("less_than_sign", "speed(-1)", "Slower", "Slower: lower the speed cap (to talk over "
        "the training)", "Run", "speed-down", key_display="<"),
    # -- view ----------------------------------------------------------------------------
    Key("0", "screen.view('all')", "All", "Every panel at once (terminals of 100×30 and up)",
        "View", "view-all"),
    Key("1", "screen.view('weights')", "Weights", "Weights and similarity", "View",
        "view-weights"),
    Key("2", "screen.view('loss')", "Loss", "Loss and symmetry over steps", "View", "view-loss"),
    Key("3", "screen.view('settings')", "Settings", "The settings, focused", "View",
        "view-settings"),
    Key("4", "screen.view('units')", "Units", "Units gallery: what each hidden unit computes, and "
        "the network's output", "View", "view-units"),
    Key("5", "screen.view('gradients')", "Gradients", "Gradients: each unit's norm and the gaps "
        "‖g_i − g_j‖ between units", "View", "view-gradients"),
    Key("6", "screen.view('filters')", "Filters", "Filters of a conv net and their maps "
        "(← → image)", "View", "view-filters"),
    Key("o", "screen.toggle_order", "Order", "Similarity matrix: unit order or similarity order",
        "View", "similarity-order", show=True),
    Key("f", "screen.toggle_space", "Function", "Similarity matrix: weights, or what units compute "
        "(correlation over the training inputs)", "View", "similarity-space"),
    Key("l", "screen.toggle_log", "Log", "Loss plot: linear or log scale", "View", "log-scale",
        show=True),
    Key("up,k", "screen.move_selection(-1)", "Previous unit", "Select the previous unit "
        "(highlighted in every panel)", "View", "unit-previous"),
    Key("down,j", "screen.move_selection(1)", "Next unit", "Select the next unit (highlighted "
        "in every panel)", "View", "unit-next"),
    # One help row for the pair (help fits a 160×50 terminal without scrolling).
    Key("left", "screen.scroll_features(-1)", "Features ←", "Weights: scroll features; "
        "Filters: other image",
        "View", "features-left",
        key_display="←", help_keys="← / →"),
    Key("right", "screen.scroll_features(1)", "Features →", "Weights: scroll the feature "
        "columns on, across the features; Filters: the next image", "View", "features-right",
        key_display="→", in_help=False),
    Key("p", "permute", "Permute", "Permute the hidden units at random: the loss and the "
        "output do not change", "View", "permute"),
    Key("left_square_bracket", "timeline(-1)", "Back", "Timeline: pause and show an earlier "
        "recorded state (space returns to live)", "View", "timeline-back", key_display="["),
    Key("right_square_bracket", "timeline(1)", "Forward", "Timeline: a later recorded "
        "state", "View", "timeline-forward", key_display="]"),
    # -- lecture (PageDown / PageUp: what a presenter's clicker sends) -------------------
    Key("pagedown", "scene(1)", "Next scene", "Next scene of the lecture: its settings, "
        "speed and caption (resets)", "Lecture", "scene-next", key_display="PgDn"),
    Key("pageup", "scene(-1)", "Previous scene", "Previous scene of the lecture (resets)",
        "Lecture", "scene-previous", key_display="PgUp"),
    Key("c", "pick_scene", "Scenes", "Choose a scene of the lecture from a list", "Lecture",
        "scene-pick"),
    Key("x", "pick_experiment", "Experiments", "Choose an experiment (many seeds, the "
        "barrier, ...) to run on these settings: the run pauses", "Lecture",
        "experiment-pick"),
    Key("P,f5", "screen.toggle_present", "Present", "Presentation mode: no settings or footer; "
        "the view and the scene's caption get the room", "Lecture", "present",
        key_display="P"),
    Key("y", "copy_command", "Copy command", "Show and copy (OSC 52) the command line that "
        "opens these settings", "Lecture", "copy-command"),
    Key("w", "save_config", "Save config", "Write the settings as TOML (tui-symmetry "
        "--config FILE opens them)", "Lecture", "save-config"),
    Key("f12", "screenshot", "Screenshot", "Save the screen as an SVG picture", "Lecture",
        "screenshot"),
    # -- settings ------------------------------------------------------------------------
    Key("i", "cycle('init', 1)", "Next init", "Next initialization scheme (resets)",
        "Settings", "cycle-init"),
    Key("I", "cycle('init', -1)", "Previous init", "Previous initialization scheme (resets)",
        "Settings", "cycle-init-back"),
    Key("d", "cycle('dataset', 1)", "Next dataset", "Next dataset (resets)", "Settings",
        "cycle-dataset"),
    Key("a", "cycle('activation', 1)", "Next activation", "Next activation function "
        "(resets)", "Settings", "cycle-activation"),
    Key("m", "cycle('optimizer', 1)", "Next optimizer", "Next optimizer (resets)",
        "Settings", "cycle-optimizer"),
    Key("plus,equals_sign", "nudge('lr', 1)", "lr up", "Raise the learning rate one step "
        "(live)", "Settings", "lr-up", key_display="+"),
    Key("minus,underscore", "nudge('lr', -1)", "lr down", "Lower the learning rate one step "
        "(live)", "Settings", "lr-down", key_display="-"),
    Key("escape", "leave_setting", "Leave", "Leave the setting being edited, dropping what "
        "was typed (keys drive the run again)", "Settings", "leave-setting"),
)

EXTRA_HELP: dict[Section, tuple[HelpRow, ...]] = {
    "Run": (
        ("^q", "Quit, from anywhere (also from a settings field)"),
        ("^p", "Command palette: every action and setting by name"),
    ),
    "View": (),
    "Lecture": (),
    "Settings": (
        ("tab / shift+tab", "Move between settings (3 shows them on small screens)"),
        ("enter", "Apply the typed value / open a list"),
        ("↑ / ↓", "In a number box: raise / lower that setting one step"),
    ),
}
"""Keys that are not app bindings but belong in help (Textual's own, or a field's)."""

_BY_ID = {key.id: key for key in KEYS}

COMPARE_KEYS: tuple[Key, ...] = (
    # The same keys as for the run, with actions of the same names on the compare
    # screen; they act on the comparison only (the screen is modal).
    _BY_ID["play-pause"],
    _BY_ID["step"],
    _BY_ID["step-100"],
    replace(_BY_ID["reset"], label="Restart", help="Restart the comparison: A and B from "
            "step 0, same data and seed", id="compare-restart"),
    Key("escape,q", "close", "Back", "Back to the run (it stayed paused)", "Run",
        "compare-back", show=True, key_display="esc"),
    _BY_ID["help"],
    Key("ctrl+c", "app.quit", "Quit", "Stop training and quit", "Run", "compare-quit"),
    replace(_BY_ID["speed-up"], show=True),
    replace(_BY_ID["speed-down"], show=True),
    # Both sides' features scroll together, so A's and B's columns stay the same ones.
    replace(_BY_ID["features-left"], action="scroll_features(-1)",
            help="Weights: scroll A's and B's feature columns back / on together (tables)"),
    replace(_BY_ID["features-right"], action="scroll_features(1)"),
)
"""The keys of the compare screen (its bindings, its help and its footer)."""

EXPERIMENT_KEYS: tuple[Key, ...] = (
    # The compare screen's keys, acting on the experiment's runs (the screen is modal).
    _BY_ID["play-pause"],
    _BY_ID["step"],
    _BY_ID["step-100"],
    replace(_BY_ID["reset"], label="Restart", help="Run the experiment again from step 0, "
            "same settings and seeds", id="experiment-restart"),
    Key("escape,q", "close", "Back", "Back to the run (it stayed paused)", "Run",
        "experiment-back", show=True, key_display="esc"),
    _BY_ID["help"],
    Key("ctrl+c", "app.quit", "Quit", "Stop training and quit", "Run", "experiment-quit"),
    replace(_BY_ID["speed-up"], show=True),
    replace(_BY_ID["speed-down"], show=True),
)
"""The keys of the experiment screen (its bindings, its help and its footer)."""

COMPARE_EXTRA_HELP: dict[Section, tuple[HelpRow, ...]] = {
    "Run": (
        ("^q", "Quit, from anywhere"),
        ("^p", "Command palette: these keys by name"),
    ),
    "View": (),
    "Lecture": (),
    "Settings": (),
}
"""Keys of the compare screen that are not its bindings."""


def bindings(table: tuple[Key, ...] = KEYS) -> list[Binding]:
    """The BINDINGS of a key table: the app's (:data:`KEYS`) or compare's."""
    return [
        Binding(key.keys, key.action, key.label, show=key.show, key_display=key.key_display,
                tooltip=key.help, id=key.id)
        for key in table
    ]


KeyNamer = Callable[[str], str]
"""How one Textual key name is shown (``App.get_key_display`` for a binding of it)."""


def key_text(key: Key, name: KeyNamer) -> str:
    """All keys of ``key`` as shown to the user: ``s / .``."""
    return " / ".join(name(part) for part in key.keys.split(","))


def help_sections(name: KeyNamer, table: tuple[Key, ...] = KEYS,
                  extra: dict[Section, tuple[HelpRow, ...]] = EXTRA_HELP,
                  ) -> list[tuple[str, list[HelpRow]]]:
    """The help screen's rows: every key of ``table`` plus ``extra``; empty sections
    are left out."""
    sections: list[tuple[str, list[HelpRow]]] = []
    for section in SECTIONS:
        rows = [(key.help_keys or key_text(key, name), key.help) for key in table
                if key.section == section and key.in_help]
        rows.extend(extra[section])
        if rows:
            sections.append((section, rows))
    return sections


def palette_actions(name: KeyNamer, table: tuple[Key, ...] = KEYS,
                    ) -> list[tuple[str, str, str]]:
    """(title, action, keys) of every key of ``table``, for the command palette."""
    return [(key.help, key.action, key_text(key, name)) for key in table]


def key_namer(app: App[Any]) -> KeyNamer:
    """How ``app`` shows a key (as its footer does, keymaps and terminal included)."""
    return lambda key: app.get_key_display(Binding(key, ""))


def help_sections_of(app: App[Any], table: tuple[Key, ...] = KEYS,
                     extra: dict[Section, tuple[HelpRow, ...]] = EXTRA_HELP,
                     ) -> list[tuple[str, list[HelpRow]]]:
    """The help screen's rows of ``table`` with ``app``'s names for the keys."""
    return help_sections(key_namer(app), table, extra)


def palette_actions_of(app: App[Any], table: tuple[Key, ...] = KEYS,
                       ) -> list[tuple[str, str, str]]:
    """(title, action, keys) of every key of ``table``, named as ``app`` shows them."""
    return palette_actions(key_namer(app), table)
