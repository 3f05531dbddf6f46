"""The app on tables (digits, wine): units as pictures or class bars, weights by feature
name that scroll, the confusion matrix in the loss view, the accuracy on the status line.

Each app trains only the steps a claim needs, by hand (SyncRunner), on a fixed seed.
"""

from __future__ import annotations

import pytest
from conftest import Drive, MakeApp, screen_lines, wait_until
from textual.pilot import Pilot

from tui_symmetry.app.screenshots import Scene, make_app, prepare
from tui_symmetry.app.widgets.table_units import TableFrame
from tui_symmetry.app.widgets.units import GalleryStrip
from tui_symmetry.core import Config

DIGITS = Config(dataset="digits", hidden=16, samples=1797)
COPIES = DIGITS.replace(init="symmetric", epsilon=0.0)
WINE = Config(dataset="wine", hidden=8, samples=178)


def tile_lines(strip: GalleryStrip, row: int, lines: int) -> list[list[tuple[str, object]]]:
    """The picture lines of the tile in ``row`` of a column strip: text and style of
    every segment, as the terminal gets them (the label line above is left out)."""
    first = row * (lines + 1) + 1
    return [[(seg.text, seg.style) for seg in strip.render_line(y)]
            for y in range(first, first + lines)]


async def units_tiles(pilot: Pilot, app, steps: int) -> tuple[GalleryStrip, GalleryStrip, int]:
    """Train ``steps``, open the units view; two column strips of tiles and the lines of
    a tile's picture."""
    app.runner.step(steps)
    await pilot.press("4")
    gallery = app.main_screen.gallery
    await wait_until(pilot, lambda: isinstance(gallery._frame, TableFrame)
                     and len(gallery._columns) >= 3)
    strips = [strip for strip in gallery._columns if strip.index >= 1]  # 0: the big tile
    lines = gallery._layout.tile_lines
    await wait_until(pilot, lambda: all(
        strip.size.height and "".join(text for text, _ in tile_lines(strip, 0, lines)[0])
        for strip in strips[:2]))
    return strips[0], strips[1], lines


@pytest.mark.parametrize("seed", [0, 3])
def test_digits_copies_are_identical_tiles_and_split_units_are_not(make_app: MakeApp,
                                                                    drive: Drive, seed: int):
    copies = make_app(COPIES.replace(seed=seed))
    split = make_app(DIGITS.replace(seed=seed, init="xavier"))
    seen: dict[str, list] = {}

    async def tiles_of(pilot: Pilot, app, name: str) -> None:
        first, second, lines = await units_tiles(pilot, app, 30)
        gallery = app.main_screen.gallery
        assert gallery.page == (1, 1)  # all 16 units on one page at 120×40
        seen[name] = [tile_lines(first, 0, lines), tile_lines(second, 0, lines),
                      tile_lines(first, 1, lines)]
        assert all(any(text.strip() or style for text, style in line) for line in seen[name][0])

    async def copies_script(pilot: Pilot) -> None:
        await tiles_of(pilot, copies, "copies")

    async def split_script(pilot: Pilot) -> None:
        await tiles_of(pilot, split, "split")

    drive(copies, copies_script)
    drive(split, split_script)
    a, b, c = seen["copies"]
    assert a == b == c  # sixteen copies: one picture, to the last cell
    a, b, c = seen["split"]
    assert a != b and b != c  # a random start: each unit its own picture


def test_weights_scroll_across_named_features_with_left_and_right(make_app: MakeApp,
                                                                  drive: Drive):
    app = make_app(WINE)

    async def script(pilot: Pilot) -> None:
        app.runner.step(5)
        await pilot.press("1")
        panel = app.main_screen.weights_panel
        await wait_until(pilot, lambda: "1-4/13 ←→" in "\n".join(screen_lines(app)))
        text = "\n".join(screen_lines(app))
        assert "alco" in text and "hue" not in text
        await pilot.press("right")
        await wait_until(pilot, lambda: panel.column_offset > 0)
        text = "\n".join(screen_lines(app))
        assert "alco" not in text and f"{panel.column_offset + 1}-" in text
        assert "weights: features" in app.notice
        for _ in range(3):
            await pilot.press("right")
        text = "\n".join(screen_lines(app))
        assert "prol" in text and "-13/13" in text  # the last feature, proline
        assert " b " in text and "‖v‖" in text  # the bias and the outgoing part stay
        await pilot.press("left", "left", "left", "left")
        await wait_until(pilot, lambda: panel.column_offset == 0)
        assert "alco" in "\n".join(screen_lines(app))

    drive(app, script, size=(80, 24))


@pytest.mark.parametrize(("config", "shown"), [(DIGITS, True), (Config(), False)])
def test_the_loss_view_shows_a_confusion_matrix_for_many_classes_only(
        make_app: MakeApp, drive: Drive, config: Config, shown: bool):
    app = make_app(config)

    async def script(pilot: Pilot) -> None:
        app.runner.step(20)
        await pilot.press("2")
        await pilot.pause()
        screen = app.main_screen
        assert screen.boxes["confusion-box"].display is shown
        text = "\n".join(screen_lines(app))
        assert ("test accuracy" in text) is shown
        assert ("train accuracy" in app.status) is shown
        if shown:
            assert "(10 classes)" in app.status
            confusion = screen.snapshot.confusion
            # the matrix's own accuracy, counted a second way from its rows
            right = sum(int(confusion[c, c]) for c in range(10))
            assert f"{100 * right / confusion.sum():.1f} %" in text

    drive(app, script)


DIGITS_UNITS = Scene(DIGITS.replace(init="xavier"), 300, "digits: units as their weights",
                     keys=("4",))
WINE_WEIGHTS = Scene(WINE.replace(init="xavier"), 200, "wine: weights by feature name",
                     keys=("1", "right"))


def scene_runner(scene: Scene):
    async def run_before(pilot: Pilot) -> None:
        await prepare(pilot.app, scene, pilot)  # type: ignore[arg-type]

    return run_before


def test_digits_units_view_100x30(snap_compare):
    assert snap_compare(make_app(DIGITS_UNITS), terminal_size=(100, 30),
                        run_before=scene_runner(DIGITS_UNITS))


def test_wine_weights_view_120x40(snap_compare):
    assert snap_compare(make_app(WINE_WEIGHTS), terminal_size=(120, 40),
                        run_before=scene_runner(WINE_WEIGHTS))
