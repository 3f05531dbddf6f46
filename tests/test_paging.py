"""PageUp / PageDown in every list of the app, also before the list is laid out.

A presenter's clicker sends PageDown / PageUp.  Textual's OptionList pages by the
lines of its options, which it knows only once it has been laid out, and raised
KeyError before: ctrl+p then PageDown within ~0.1 s crashed the app (the palette's
list is filled as it opens), as could PageDown in a settings drop-down or the scene
picker that had just opened.  The tests below press the key at that very moment
(right after the list was filled or opened, before any layout), not at some moment
the machine's speed would pick.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import new_app, run_script, wait_until
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import OptionList
from textual.widgets._select import SelectOverlay

from tui_symmetry.app import paging
from tui_symmetry.app.controls import SettingSelect
from tui_symmetry.app.lecture import ScenePicker
from tui_symmetry.app.paging import laid_out
from tui_symmetry.core.config import FIELD_BY_NAME
from tui_symmetry.scenarios import SCENARIOS

KEYS = ("pagedown", "pageup")


@pytest.mark.usefixtures("quick_keys")
@pytest.mark.parametrize("key", KEYS)
def test_ctrl_p_then_a_clicker_key_at_once_does_not_crash(key: str):
    """The keys as a clicker sends them, without waiting for the palette to settle."""
    app = new_app()

    async def script(pilot: Pilot) -> None:
        for _ in range(3):
            await pilot.press("ctrl+p", key)
            await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is app.main_screen)
        assert app.return_code is None  # still running

    run_script(app, script)


@pytest.mark.parametrize("key", KEYS)
def test_palette_pages_a_list_filled_a_moment_ago(monkeypatch: pytest.MonkeyPatch, key: str):
    """The key lands right after the palette filled its list, before it was laid out:
    it pages once the list has lines, and nothing crashes."""
    app = new_app()
    filled = CommandPalette._refresh_command_list
    landed: list[bool] = []

    def fill_then_page(self: CommandPalette, command_list: CommandList, *args: Any) -> None:
        filled(self, command_list, *args)
        if not landed:
            landed.append(laid_out(command_list))
            self._action_command_list(key.replace("page", "page_"))  # what the key runs

    monkeypatch.setattr(CommandPalette, "_refresh_command_list", fill_then_page)

    async def script(pilot: Pilot) -> None:
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: bool(landed))
        assert landed == [False]  # the moment the old code crashed at
        command_list = app.screen.query_one(CommandList)
        await wait_until(pilot, lambda: laid_out(command_list))
        await pilot.pause()
        if key == "pagedown":  # a page further down than the first hit
            assert command_list.highlighted is not None and command_list.highlighted > 0
        else:
            assert command_list.highlighted == 0
        assert isinstance(app.screen, CommandPalette) and app.return_code is None

    run_script(app, script)


@pytest.mark.parametrize("key", KEYS)
def test_a_drop_down_pages_as_it_opens(key: str):
    """PageDown in a settings drop-down just opened (its list not yet laid out)."""
    app = new_app()

    async def script(pilot: Pilot) -> None:
        select = app.screen.query_one("#setting-init", SettingSelect)
        select.focus()
        await pilot.pause()
        overlay = select.query_one(SelectOverlay)
        select.action_show_overlay()  # what Enter does
        assert overlay.highlighted == 2 and not laid_out(overlay)  # init: symmetric
        await overlay.run_action(key.replace("page", "page_"))
        await wait_until(pilot, lambda: laid_out(overlay))
        await pilot.pause()
        # All eight schemes fit on the opened list: a page goes to the last or the first.
        choices = FIELD_BY_NAME["init"].choices
        expected = len(choices) - 1 if key == "pagedown" else 0
        assert overlay.highlighted == expected and app.return_code is None
        await pilot.press("enter")  # and the list still picks what it shows
        await wait_until(pilot, lambda: app.config.init == choices[expected])

    run_script(app, script)


@pytest.mark.parametrize("key", KEYS)
def test_a_key_waits_past_a_refresh_that_came_before_the_layout(
        monkeypatch: pytest.MonkeyPatch, key: str):
    """On a busy machine the first refresh after a drop-down opens can come before its
    layout: the key waits for the refresh that has laid the list out, not just the next."""
    app = new_app()
    refreshes_before_layout = [2]
    real_laid_out = paging.laid_out

    def late_layout(option_list: OptionList) -> bool:
        if refreshes_before_layout[0] > 0:  # the first checks see no layout yet
            refreshes_before_layout[0] -= 1
            return False
        return real_laid_out(option_list)

    async def script(pilot: Pilot) -> None:
        select = app.screen.query_one("#setting-init", SettingSelect)
        select.focus()
        await pilot.pause()
        overlay = select.query_one(SelectOverlay)
        select.action_show_overlay()
        monkeypatch.setattr(paging, "laid_out", late_layout)
        await overlay.run_action(key.replace("page", "page_"))
        await wait_until(pilot, lambda: refreshes_before_layout[0] == 0 and laid_out(overlay))
        for _ in range(3):
            await pilot.pause()
        expected = len(FIELD_BY_NAME["init"].choices) - 1 if key == "pagedown" else 0
        assert overlay.highlighted == expected

    run_script(app, script)


@pytest.mark.parametrize("key", KEYS)
def test_the_scene_picker_pages_as_it_opens(monkeypatch: pytest.MonkeyPatch, key: str):
    """The key lands as the picker (c) has just been mounted, on the current scene."""
    app = new_app()
    mounted = ScenePicker.on_mount
    landed: list[bool] = []

    def mount_then_page(self: ScenePicker) -> None:
        mounted(self)
        scenes = self.query_one("#scenes", OptionList)
        landed.append(laid_out(scenes))
        getattr(scenes, f"action_{key.replace('page', 'page_')}")()  # what the key runs

    monkeypatch.setattr(ScenePicker, "on_mount", mount_then_page)

    async def script(pilot: Pilot) -> None:
        await app.push_screen(ScenePicker(list(SCENARIOS.values())[3]))
        assert landed == [False]
        scenes = app.screen.query_one("#scenes", OptionList)
        await wait_until(pilot, lambda: laid_out(scenes) and scenes.highlighted != 3)
        last = len(SCENARIOS) - 1  # every scene fits: a page goes to the last or the first
        assert scenes.highlighted == (last if key == "pagedown" else 0)
        assert app.return_code is None

    run_script(app, script)
