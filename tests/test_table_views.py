"""The app on tables (digits, wine): units as pictures or class bars, weights by feature
name that scroll, the confusion matrix in the loss view, the accuracy on the status line.

Each app trains only the steps a claim needs, by hand (SyncRunner), on a fixed seed, and
skips the one-unit search (seconds on a table; none of these claims reads it).
"""

from __future__ import annotations

import pytest
from conftest import Drive, MakeApp, screen_lines, wait_until
from textual.pilot import Pilot

from tui_symmetry.app.screenshots import Scene, make_app, prepare
from tui_symmetry.app.widgets.table_units import TableFrame
from tui_symmetry.app.widgets.units import GalleryStrip
from tui_symmetry.core import Config

pytestmark = pytest.mark.usefixtures("no_one_unit_search")

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


def seen_tiles(drive: Drive, app, steps: int) -> list:
    """Three tiles' picture lines at 120×40: two side by side, one below the first."""
    seen: list = []

    async def script(pilot: Pilot) -> None:
        first, second, lines = await units_tiles(pilot, app, steps)
        assert app.main_screen.gallery.page == (1, 1)  # all 16 units on one page
        seen.extend([tile_lines(first, 0, lines), tile_lines(second, 0, lines),
                     tile_lines(first, 1, lines)])

    drive(app, script)
    return seen


@pytest.mark.parametrize("seed", [0, 3])
def test_digits_copies_are_identical_tiles(make_app: MakeApp, drive: Drive, seed: int):
    a, b, c = seen_tiles(drive, make_app(COPIES.replace(seed=seed)), 30)
    assert a == b == c  # sixteen copies: one picture, to the last cell and colour


def test_digits_units_of_a_random_start_are_different_tiles(make_app: MakeApp, drive: Drive):
    a, b, c = seen_tiles(drive, make_app(DIGITS.replace(init="xavier")), 30)
    assert a != b and b != c and a != c  # each unit its own picture


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


def test_wide_digits_weights_show_the_selected_units_picture_on_the_rows_scale():
    from conftest import snapshot_of

    from tui_symmetry.app.widgets._palette import quantize_diverging
    from tui_symmetry.app.widgets._pixels import PixelLine, pixel_lines
    from tui_symmetry.app.widgets.weights import BesideLine, WeightsView, weights_lines

    snap = snapshot_of(DIGITS.replace(init="xavier"), 3)
    view = WeightsView(selected=5, scroll_top=0, scale=1.0, mode="full")
    wide, _ = weights_lines(snap, snap, view, 110, 34)
    pictured = [line.right for line in wide
                if isinstance(line, BesideLine) and isinstance(line.right, PixelLine)]
    # unit 6's 64 weights as the 8 × 8 picture, zoom 2, on the rows' own colour range
    expected = pixel_lines(quantize_diverging(snap.params.W1[5].reshape(8, 8), 1.0), 2, "full")
    assert tuple(pictured) == expected
    narrow, _ = weights_lines(snap, snap, view, 50, 34)
    assert not any(isinstance(line, BesideLine) for line in narrow)


def test_the_selected_wine_unit_lists_its_features_by_their_whole_names():
    from conftest import snapshot_of

    from tui_symmetry.app.widgets.weights import SelectedLine, WeightsView, weights_lines
    from tui_symmetry.core.data import describe

    snap = snapshot_of(WINE.replace(hidden=4), 3)
    features = describe(snap.config).features
    lines, _ = weights_lines(snap, snap, WeightsView(selected=0, scroll_top=0, scale=1.0,
                                                     mode="full"), 56, 36)
    listed = [name.strip() for line in lines if isinstance(line, SelectedLine)
              for name, _ in line.parts if name]
    # As many as fit on the selected unit's lines, each by its whole name, in order.
    assert "alcalinity_of_ash" in listed
    assert listed == list(features[: len(listed)])
