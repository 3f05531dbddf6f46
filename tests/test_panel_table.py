"""The main screen's panels are the rows of one table (MainScreen.PANELS): it composes the
screen, decides which panels a view shows and which print numbers through the screen's
gate, and a new panel is one row."""

from __future__ import annotations

import pytest
from conftest import Drive, MakeApp, panel_lines, wait_until
from textual.pilot import Pilot

from tui_symmetry.app.main_screen import MainScreen, PanelSpec
from tui_symmetry.app.widgets.gradients import GradientPanel

VIEWS_DOM = [
    "views", "units-view", "weights-box", "weights", "similarity-box", "similarity",
    "loss-box", "loss", "loss-plot", "symmetry-plot", "loss-row", "loss-view", "loss-zoomed",
    "loss-plot", "symmetry-plot", "confusion-box", "confusion", "gallery-view", "gallery-box",
    "gallery",
    "side-weights-box", "side-weights", "gradients-view", "gradients", "filters-view",
    "filters-box", "filters", "filter-similarity-box", "filter-similarity", "settings",
]
"""The ids of the views' part of the screen, in DOM order, as the screen was composed
before the table (the stylesheet and the tests address these ids), with the row that
holds the zoomed loss and, beside it, the confusion matrix of the table runs."""


def test_the_table_composes_the_screen_in_the_same_order(make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.main_screen
        ids = [widget.id for widget in screen.query("*") if widget.id]
        start = ids.index("views")
        assert ids[start:start + len(VIEWS_DOM)] == VIEWS_DOM
        titles = {box: str(screen.query_one(f"#{box}").border_title)
                  for box in ("weights-box", "similarity-box", "loss-box", "loss-view",
                              "gallery-box", "side-weights-box", "gradients-view")}
        assert titles == {"weights-box": "Weights", "similarity-box": "Similarity",
                          "loss-box": "Loss", "loss-view": "Loss", "gallery-box": "Units",
                          "side-weights-box": "Weights", "gradients-view": "Gradients"}

    drive(app, script)


def test_the_table_says_which_panels_each_view_shows(make_app: MakeApp, drive: Drive):
    app = make_app()
    shown: dict[str, list[str]] = {}

    async def script(pilot: Pilot) -> None:
        screen = app.main_screen
        for view in ("all", "weights", "loss", "settings", "units", "gradients", "filters"):
            screen.view = view
            await pilot.pause()
            shown[view] = [panel.id for panel in screen.panels_in_view()]
        numbers = [panel.id for panel in screen.panels.values()
                   if getattr(panel, "numbers_gate", None) is screen.numbers_gate]
        assert numbers == ["weights", "similarity", "gallery", "side-weights", "gradients",
                           "filter-similarity"]

    drive(app, script)
    # The loss plots are handed only the printed snapshot: not among these.
    assert shown == {"all": ["weights", "similarity"], "weights": ["weights", "similarity"],
                     "loss": [], "settings": [], "units": ["gallery", "side-weights"],
                     "gradients": ["gradients"], "filters": ["filter-similarity"]}


def test_a_new_panel_is_one_row(make_app: MakeApp, drive: Drive,
                                monkeypatch: pytest.MonkeyPatch):
    """A seventh panel, added as a row: composed in its titled box, shown in its view
    only, handed snapshots, printing through the screen's gate, following the selection
    and the order key."""
    extra = PanelSpec(id="extra", widget=GradientPanel, title="Extra", box="extra-box",
                      views=("gradients",), selects=True, orders=True)
    monkeypatch.setattr(MainScreen, "PANELS", (*MainScreen.PANELS, extra))
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.main_screen
        panel = screen.panels["extra"]
        assert isinstance(panel, GradientPanel)
        assert str(screen.query_one("#extra-box").border_title) == "Extra"
        assert panel.numbers_gate is screen.numbers_gate
        assert panel not in screen.panels_in_view()  # the "all" view does not show it
        app.runner.step(20)
        app.poll_now()
        await pilot.press("5")
        await wait_until(pilot, lambda: any("gap" in line or "identical" in line
                                            for line in panel_lines(panel)))
        assert panel in screen.panels_in_view()
        await pilot.press("down")
        assert panel.selected_unit == screen.gradient_panel.selected_unit == 1
        by_similarity = panel.by_similarity
        await pilot.press("o")
        assert panel.by_similarity is not by_similarity

    drive(app, script)
