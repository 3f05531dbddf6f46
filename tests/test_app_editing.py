"""Editing a setting, the help screen and the command palette, as a user drives them.

Esc drops a typed number (never applies it), a character that cannot be part of a
number is reported, a refused value names the valid range, the help scrolls on small
terminals, and the command palette says why a value is refused and never runs a hit
of an earlier query.  Nothing here waits for a clock: every wait is for the app to
have done something, bounded by a number of rounds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from conftest import TEST_CONFIG, RecordingApp, new_app, run_script, screen_lines
from textual import events
from textual.command import CommandList, CommandPalette, Hits
from textual.containers import VerticalScroll
from textual.pilot import Pilot

from tui_symmetry.app.commands import EXACT_SCORE, HINT_SCORE, SymmetryCommands
from tui_symmetry.app.controls import NumberInput, SettingSelect
from tui_symmetry.app.screens import HelpScreen
from tui_symmetry.app.values import format_value
from tui_symmetry.core.config import FIELD_BY_NAME, ConfigError

ROUNDS = 50
"""Most ``pilot.pause()`` rounds any wait below takes (each waits for the app to idle)."""


async def settle(pilot: Pilot, done: Callable[[], bool]) -> bool:
    """Let the app work until ``done()`` holds; False if it never does within ROUNDS."""
    for _ in range(ROUNDS):
        if done():
            return True
        await pilot.pause()
    return done()


async def focus_box(pilot: Pilot, name: str) -> NumberInput:
    box = pilot.app.screen.query_one(f"#setting-{name}", NumberInput)
    box.focus()
    await pilot.pause()
    assert pilot.app.focused is box
    return box


# -- Esc, Enter and Tab in a number box ---------------------------------------------------


@pytest.mark.parametrize("name", ["epsilon", "lr"])
def test_escape_drops_what_was_typed(name: str):
    """A stray 2 then Esc changes nothing: no reset (ε), no live change (lr)."""
    app = new_app()

    async def script(pilot: Pilot) -> None:
        version = app.snapshot.version
        box = await focus_box(pilot, name)
        await pilot.press("2")
        assert box.value == "2"
        await pilot.press("escape")
        await pilot.pause()
        assert app.config == TEST_CONFIG
        assert app.messages == []  # neither "reset: ..." nor "... (live ...)"
        assert box.value == format_value(getattr(TEST_CONFIG, name))
        assert app.focused is None  # keys drive the run again
        assert app.snapshot.version == version
        await pilot.press("s")
        await pilot.pause()
        assert app.snapshot.step == 1

    run_script(app, script)


def test_tab_and_enter_still_apply_what_was_typed():
    app = new_app()

    async def script(pilot: Pilot) -> None:
        await focus_box(pilot, "epsilon")
        await pilot.press("2", "tab")
        assert await settle(pilot, lambda: app.config.epsilon == 2.0)
        assert app.last_message == "reset: ε → 2"
        box = await focus_box(pilot, "lr")
        await pilot.press(*"0.05", "enter")
        assert await settle(pilot, lambda: app.config.lr == 0.05)
        assert box.value == "0.05" and app.focused is box  # Enter stays in the box
        await pilot.press("escape")  # nothing typed since: leaving changes nothing
        await pilot.pause()
        assert app.config.lr == 0.05 and app.focused is None
        assert box.value == "0.05" and "0.05" in "\n".join(screen_lines(app))

    run_script(app, script)


def test_footer_says_enter_applies_and_escape_leaves():
    app = new_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("3")  # the settings view: the first setting, a list, has the focus
        assert await settle(pilot, lambda: isinstance(app.focused, SettingSelect))
        # The footer redraws its keys on the screen's next refresh, not at the focus.
        assert await settle(pilot, lambda: "esc Leave" in screen_lines(app)[-1])
        await focus_box(pilot, "epsilon")
        assert await settle(pilot, lambda: "enter Apply" in screen_lines(app)[-1]
                            and "esc Cancel edit" in screen_lines(app)[-1])

    run_script(app, script, size=(80, 24))


def test_typing_after_up_and_down_replaces_the_nudged_value():
    """8 → ↑↑ → 10, then typing 4 gives 4 (not 104): the nudged value is selected."""
    config = TEST_CONFIG.replace(hidden=8)
    app = new_app(config)

    async def script(pilot: Pilot) -> None:
        box = await focus_box(pilot, "hidden")
        await pilot.press("up", "up")
        assert box.value == "10"
        assert await settle(pilot, lambda: app.config.hidden == 10)
        await pilot.press("4")
        assert box.value == "4"
        await pilot.press("escape")  # Esc still drops what was typed
        await pilot.pause()
        assert box.value == "10" and app.config.hidden == 10
        box = await focus_box(pilot, "hidden")
        await pilot.press("down", "4", "enter")  # and Enter applies it
        assert await settle(pilot, lambda: app.config.hidden == 4)
        assert box.value == "4"

    run_script(app, script)


# -- what a number box refuses ------------------------------------------------------------


def test_a_character_that_is_no_number_is_reported_once():
    app = new_app()

    async def script(pilot: Pilot) -> None:
        box = await focus_box(pilot, "epsilon")
        await pilot.press("1", "x", "x", "5")
        assert box.value == "15"
        assert app.messages == [("warning", "ε: 'x' is not part of a number")]
        await pilot.press("space")  # a space is not a number either, and not Play here
        assert app.messages[-1] == ("warning", "ε: ' ' is not part of a number")
        assert box.value == "15"
        # A pasted number keeps its digits (the spaces copied around it go); pasted
        # words are refused with the same one line.
        box.action_select_all()
        box.post_message(events.Paste(" 0.05 \n"))
        assert await settle(pilot, lambda: box.value == "0.05")
        box.post_message(events.Paste("abc"))
        assert await settle(pilot, lambda: len(app.messages) == 3)
        assert app.messages[-1] == ("warning", "ε: 'a' is not part of a number")
        assert box.value == "0.05"

    run_script(app, script)


def test_1e400_is_refused_with_the_range_not_read_as_1400():
    app = new_app()

    async def script(pilot: Pilot) -> None:
        box = await focus_box(pilot, "epsilon")
        await pilot.press(*"1e400")
        assert box.value == "1e400"  # every key kept: nothing dropped on the way
        await pilot.press("enter")
        assert await settle(pilot, lambda: bool(app.errors))
        assert app.errors == [
            "not applied: epsilon: '1e400' is not finite; use a number in [0, 10]"]
        assert app.config == TEST_CONFIG
        assert box.value == format_value(TEST_CONFIG.epsilon)
        samples = await focus_box(pilot, "samples")
        await pilot.press(*"1e3", "enter")  # a count: e and . are typed, then refused
        assert await settle(pilot, lambda: len(app.errors) == 2)
        assert app.errors[1] == "not applied: samples: '1e3' is not an integer in [4, 100000]"
        assert samples.value == str(TEST_CONFIG.samples)

    run_script(app, script)


# -- help ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
def test_help_scrolls_to_the_last_settings_key(size: tuple[int, int]):
    app = new_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("question_mark")
        assert await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        title, rows = screen.sections[-1]
        assert title == "Settings"
        _, last_what = rows[-1]
        last_words = " ".join(last_what.split()[:4])  # the row may wrap after these

        def shown() -> str:
            return "\n".join(screen_lines(app))

        scroll = screen.query_one("#help-scroll", VerticalScroll)
        assert app.focused is scroll
        assert last_words not in shown()  # taller than the terminal: it has to scroll
        await pilot.press("end")
        assert await settle(pilot, lambda: last_words in shown())
        assert scroll.scroll_y == scroll.max_scroll_y > 0
        await pilot.press("home")
        assert await settle(pilot, lambda: scroll.scroll_y == 0)
        await pilot.press("pagedown")
        assert await settle(pilot, lambda: scroll.scroll_y > 0)
        await pilot.press("home", "j", "j")
        assert await settle(pilot, lambda: scroll.scroll_y == 2)
        await pilot.press("k")
        assert await settle(pilot, lambda: scroll.scroll_y == 1)
        # The mouse wheel over the key table scrolls the list too.
        table = screen.query(".help-table").first()
        table.post_message(events.MouseScrollDown(table, 1, 1, 0, 1, 0, False, False, False))
        assert await settle(pilot, lambda: scroll.scroll_y > 1)
        box = screen.query_one("#help-box")
        assert box.region.bottom <= size[1]  # the box itself fits the terminal
        await pilot.press("escape")
        assert await settle(pilot, lambda: not isinstance(app.screen, HelpScreen))

    run_script(app, script, size=size)


def test_help_fits_without_scrolling_on_a_large_terminal():
    app = new_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("f1")
        assert await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        _, rows = app.screen.sections[-1]
        assert " ".join(rows[-1][1].split()[:4]) in "\n".join(screen_lines(app))
        assert app.screen.query_one("#help-scroll", VerticalScroll).max_scroll_y == 0

    run_script(app, script, size=(160, 50))


# -- the command palette ------------------------------------------------------------------


def palette_hits(app: RecordingApp) -> list[Any]:
    """The hits the open palette lists, top first."""
    commands = app.screen.query_one(CommandList)
    return [commands.get_option_at_index(i).hit for i in range(commands.option_count)]


async def searched(pilot: Pilot) -> None:
    """Wait until the palette's search for what is typed has finished."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def gate_searches(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Hold every search of the app's palette provider until the returned event is set.

    Stands for a search that is slower than the user's Enter, without any clock.
    """
    gate = asyncio.Event()
    gate.set()
    search = SymmetryCommands.search

    async def gated(self: SymmetryCommands, query: str) -> Hits:
        await gate.wait()
        async for hit in search(self, query):
            yield hit

    monkeypatch.setattr(SymmetryCommands, "search", gated)
    return gate


def test_palette_says_the_range_of_an_out_of_range_value():
    app = new_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("ctrl+p")
        assert await settle(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"lr 1000")
        await searched(pilot)
        hits = palette_hits(app)
        reason = "lr: '1000' is out of range; use a number in (0, 100]"
        assert [hit.text for hit in hits] == ["Cannot set learning rate = 1000"]
        assert hits[0].help == reason
        await pilot.press("enter")
        assert await settle(pilot, lambda: bool(app.errors))
        assert app.errors == [f"not applied: {reason}"]
        assert app.config == TEST_CONFIG

    run_script(app, script)


def test_palette_enter_right_after_typing_runs_the_final_query(
    monkeypatch: pytest.MonkeyPatch,
):
    """The hits of "lr" are listed; " 0.05" and Enter come before their search ends."""
    app = new_app()
    gate = gate_searches(monkeypatch)

    async def script(pilot: Pilot) -> None:
        await pilot.press("ctrl+p")
        assert await settle(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press("l", "r")
        await searched(pilot)
        assert palette_hits(app)  # an earlier query's hits, one highlighted
        gate.clear()
        await pilot.press(*" 0.05", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)  # Enter waits for "lr 0.05"
        assert app.config == TEST_CONFIG and app.messages == []
        gate.set()
        await searched(pilot)
        assert await settle(pilot, lambda: app.config.lr == 0.05)
        assert not isinstance(app.screen, CommandPalette)
        assert app.config == TEST_CONFIG.replace(lr=0.05)  # and nothing else ran
        assert app.snapshot.step == 0
        assert [text for _, text in app.messages] == ["lr → 0.05 (live, at step 0)"]

    run_script(app, script)


def test_palette_typing_after_enter_drops_the_waiting_enter(monkeypatch: pytest.MonkeyPatch):
    """Text typed after a waiting Enter means the user changed their mind."""
    app = new_app()
    gate = gate_searches(monkeypatch)

    async def script(pilot: Pilot) -> None:
        await pilot.press("ctrl+p")
        assert await settle(pilot, lambda: isinstance(app.screen, CommandPalette))
        gate.clear()
        await pilot.press(*"lr 0.05", "enter", "5")
        gate.set()
        await searched(pilot)
        assert isinstance(app.screen, CommandPalette)
        assert [hit.text for hit in palette_hits(app)] == ["Set learning rate = 0.055"]
        assert app.config == TEST_CONFIG
        await pilot.press("enter")  # now nothing is being searched: runs at once
        assert await settle(pilot, lambda: app.config.lr == 0.055)

    run_script(app, script)


def test_direct_setting_hits():
    app = new_app()

    async def script(pilot: Pilot) -> None:
        provider = SymmetryCommands(app.screen)
        hit = provider._direct_setting("set tie = 0.1")
        assert hit is not None and hit.text == "Set tie = 0.1" and hit.score == EXACT_SCORE
        hit = provider._direct_setting("init xavier")
        assert hit is not None and hit.text == "Init: xavier" and hit.help == "resets the network"
        hit = provider._direct_setting(f"init {TEST_CONFIG.init}")
        assert hit is not None and hit.help == "resets the network (current)"
        for query in ("ε 1e400", "hidden 1000", "momentum 1", "lr 0", "lr nan"):
            hit = provider._direct_setting(query)
            assert hit is not None and hit.score == EXACT_SCORE, query
            assert hit.text.startswith("Cannot set ")
            name, _, value = query.partition(" ")
            spec = FIELD_BY_NAME["epsilon" if name == "ε" else name]
            with pytest.raises(ConfigError) as refused:
                spec.coerce(value)
            assert hit.help == str(refused.value)  # the Config's own one line
        hint = provider._direct_setting("dataset m")  # typing "moons": other hits stay
        assert hint is not None and hint.score == HINT_SCORE
        for query in ("lr up", "hidden units", "Pause and run 100", "Edit learning rate"):
            assert provider._direct_setting(query) is None, query
        markup = provider._direct_setting("lr [b]")
        assert markup is None  # not a number: no hit, and no markup read from the query

    run_script(app, script)


def test_palette_lists_only_the_setting_for_a_setting_and_a_value():
    app = new_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("ctrl+p")
        assert await settle(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"tie 0.25")
        await searched(pilot)
        assert [hit.text for hit in palette_hits(app)] == ["Set tie = 0.25"]
        await pilot.press(*["backspace"] * 5)  # back to "tie": every matching command
        await searched(pilot)
        assert len(palette_hits(app)) > 1

    run_script(app, script)
