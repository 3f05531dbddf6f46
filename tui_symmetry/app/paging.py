"""PageUp / PageDown in Textual's option lists, safe before the list is laid out.

Textual's ``OptionList._move_page`` (Textual 8, pinned in constraints.txt) looks up
the line of the highlighted option in a cache that is filled only once the list has a
size on screen.  A list that has just been filled, or just shown, has none until the
next layout, and the lookup raises ``KeyError`` (the index of the highlighted option).
A presenter's clicker sends PageDown: ctrl+p then PageDown within ~0.1 s crashed the
app (the command palette's list is filled while it opens), and so could PageDown in a
settings drop-down that had just opened, or in the scene picker (c) just opened.

:func:`move_page` is the guard they all use: before layout it pages once the list has
been laid out, so the key still does what it says.
"""

from __future__ import annotations

from typing import Literal

from textual.app import ComposeResult
from textual.reactive import Reactive
from textual.widget import Widget
from textual.widgets import OptionList, Select
from textual.widgets._select import SelectCurrent, SelectOverlay

Direction = Literal[-1, 1]


def laid_out(option_list: OptionList) -> bool:
    """Whether ``option_list`` knows the line of its highlighted option (paging works)."""
    highlighted = option_list.highlighted
    return highlighted is None or highlighted in option_list._index_to_line


def move_page(option_list: OptionList, direction: Direction) -> None:
    """Page the highlight up (-1) or down (1), now if the list is laid out, else after
    the first refresh that has laid it out; a list that has no lines after
    :data:`LAYOUT_REFRESHES` refreshes (hidden) ignores the key."""
    if laid_out(option_list):
        _page(option_list, direction)
    else:
        option_list.call_after_refresh(_page_if_laid_out, option_list, direction,
                                       LAYOUT_REFRESHES)


LAYOUT_REFRESHES = 20
"""How many refreshes a key waits for its list's layout: on a busy machine the first
refresh after a list opens can come before its layout, and the key must not be lost."""


def _page_if_laid_out(option_list: OptionList, direction: Direction, refreshes: int) -> None:
    if not option_list.is_attached:
        return
    if laid_out(option_list):
        _page(option_list, direction)
    elif refreshes > 1:
        option_list.call_after_refresh(_page_if_laid_out, option_list, direction,
                                       refreshes - 1)


def _page(option_list: OptionList, direction: Direction) -> None:
    """What OptionList's own page actions do, with nothing highlighted or something."""
    if option_list.highlighted is None:
        if direction > 0:
            option_list.action_last()
        else:
            option_list.action_first()
    else:
        option_list._move_page(direction)


COMPACT_CLASS = "-textual-compact"
"""The class Textual's ``compact`` reactive toggles on an Input, a Select and its list."""


def make_compact(widget: Widget, compact: Reactive[bool]) -> None:
    """Make ``widget`` compact (Textual's ``compact=True``) without styling it twice.

    Textual's ``compact=True`` toggles :data:`COMPACT_CLASS` as the control is made,
    and a class change applies the whole stylesheet to the control there and then,
    before it is mounted (where it is styled again): for 22 settings controls and 8
    lists, ~6 % of the app's start.  Made with ``compact`` off, the class is added
    here without an update and the reactive set without its toggle.
    """
    widget.add_class(COMPACT_CLASS, update=False)
    widget.set_reactive(compact, True)


class PagingOptionList(OptionList):
    """An OptionList whose PageUp / PageDown go through :func:`move_page`."""

    def action_page_up(self) -> None:
        move_page(self, -1)

    def action_page_down(self) -> None:
        move_page(self, 1)


class PagingSelectOverlay(SelectOverlay):
    """The drop-down list of a Select, paging through :func:`move_page`."""

    action_page_up = PagingOptionList.action_page_up
    action_page_down = PagingOptionList.action_page_down


def compose_select(select: Select, *, has_value: bool = False) -> ComposeResult:
    """What ``Select.compose`` yields, with the guarded drop-down list.

    ``has_value``: the Select will show a value as it mounts (one that allows no blank
    and was given its value); its parts are then made styled for it.
    """
    current = SelectCurrent(select.prompt)
    if has_value:
        # The class its ``has_value`` watcher sets as the Select mounts and shows its
        # value: set now, without styling it (and its three parts) a second time.
        current.add_class("-has-value", update=False)
        current.set_reactive(SelectCurrent.has_value, True)
    yield current
    overlay = PagingSelectOverlay(type_to_search=select._type_to_search)
    # The class its ``compact`` (bound to the Select's) toggles as it mounts: there
    # already, the list is not styled twice (see make_compact).
    overlay.set_class(select.compact, COMPACT_CLASS, update=False)
    yield overlay.data_bind(compact=Select.compact)
