"""The filters view (view 6): kernels, their feature maps on the chosen image, the image
with the network's answer, read as text from the panel's records on synthetic arrays
(no training: the records are a function of the snapshot), and the panel mounted."""

from __future__ import annotations

import dataclasses
import multiprocessing

import numpy as np
import pytest
from conftest import (
    TEST_CONFIG,
    RecordingOutbox,
    panel_lines,
    run_panels,
    small_snapshot,
)

from tui_symmetry.app import keys
from tui_symmetry.app.controller import RunController
from tui_symmetry.app.widgets._lines import records_text
from tui_symmetry.app.widgets._throttle import FakeClock
from tui_symmetry.app.widgets.filters import (
    FiltersLine,
    FiltersPanel,
    FiltersView,
    filter_lines,
    filters_layout,
    paint_filters,
)
from tui_symmetry.core.pictures import FilterPictures, filter_pictures, filters_of
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.runner.child import TrainingProcess
from tui_symmetry.runner.messages import Reset, SelectImage
from tui_symmetry.runner.sync import SyncRunner

DIGITS = tuple(str(c) for c in range(10))


def pictures_of(count: int = 8, kernel: int = 3, copies: tuple[int, int] | None = None,
                index: int = 37) -> FilterPictures:
    """Seeded kernels, maps and an image; filters ``copies`` made identical."""
    rng = np.random.default_rng(0)
    kernels = rng.normal(size=(count, kernel, kernel))
    maps = np.tanh(rng.normal(size=(count, 9 - kernel, 9 - kernel)))
    outgoing = np.linspace(0.2, 1.2, count)
    if copies is not None:
        a, b = copies
        kernels[b], maps[b], outgoing[b] = kernels[a], maps[a], outgoing[a]
    probabilities = np.full(10, 0.03 / 9)
    probabilities[3] = 0.97
    return filter_pictures(kernels, maps, outgoing, rng.normal(size=(8, 8)), index, 1438,
                           label=3, probabilities=probabilities)


def conv_snapshot(pictures: FilterPictures, order: np.ndarray | None = None) -> Snapshot:
    """A snapshot carrying ``pictures`` (the rest of it is a small MLP's: unread here)."""
    count = len(pictures.kernels)
    return dataclasses.replace(small_snapshot(), filters=pictures, classes=DIGITS,
                               order=np.arange(count) if order is None else order)


def text(snapshot: Snapshot, width: int, height: int, selected: int = 0,
         by_similarity: bool = True) -> list[str]:
    view = FiltersView(selected, by_similarity, "mono")
    records = filter_lines(filters_of(snapshot), snapshot.classes, snapshot.order, view, width,
                           height)
    return records_text(records, paint_filters, "mono")


def test_the_record_checks_its_arrays_and_names_the_networks_answer() -> None:
    pictures = pictures_of()
    assert pictures.kernels.shape == (8, 3, 3) and pictures.maps.shape == (8, 6, 6)
    assert pictures.kernel_scale == np.max(np.abs(pictures.kernels))
    assert (pictures.predicted, pictures.confidence) == (3, 0.97)
    assert not pictures.kernels.flags.writeable
    with pytest.raises(ValueError, match="maps"):
        filter_pictures(np.zeros((8, 3, 3)), np.zeros((7, 6, 6)), np.zeros(8), np.zeros((8, 8)),
                        0, 10, 0, np.ones(10) / 10)
    with pytest.raises(ValueError, match="image 10 is not one of the 10"):
        filter_pictures(np.zeros((8, 3, 3)), np.zeros((8, 6, 6)), np.zeros(8), np.zeros((8, 8)),
                        10, 10, 0, np.ones(10) / 10)


def test_kernels_read_from_the_back_row_where_there_is_room() -> None:
    # 3×3 at zoom 4 (12 × 6 cells) beside its 6×6 map at zoom 2 (12 × 6), image at zoom 3.
    layout = filters_layout(pictures_of(), 90, 30, "full")
    assert (layout.kernel_zoom, layout.map_zoom, layout.image_zoom) == (4, 2, 3)
    assert (layout.tile_width, layout.tile_lines) == (25, 6)
    assert layout.per_page >= 8
    five = filters_layout(pictures_of(kernel=5), 120, 30, "full")
    assert (five.kernel_zoom, five.map_zoom) == (3, 2)  # 15 × 8 cells


def test_small_terminals_shrink_pictures_before_paging() -> None:
    layout = filters_layout(pictures_of(), 44, 17, "full")
    assert layout.per_page >= 8
    assert layout.kernel_zoom < 4


def test_tiles_follow_the_order_and_label_each_filter() -> None:
    pictures = pictures_of()
    order = np.array([3, 0, 1, 2, 4, 5, 6, 7])
    lines = text(conv_snapshot(pictures, order), 120, 40, selected=0)
    first_labels = next(line for line in lines if "‖v‖" in line)
    assert first_labels.index("f4") < first_labels.index("f1")  # similarity order
    assert "▸f1 ‖v‖ .2" in first_labels  # the selected filter is marked
    # f3's outgoing length is 0.2 + 2/7: the label rounds what the record holds.
    assert any(f"f3 ‖v‖ {pictures.outgoing[2]:.2f}".replace("0.", ".") in line
               for line in lines)
    by_number = text(conv_snapshot(pictures, order), 120, 40, by_similarity=False)
    labels = next(line for line in by_number if "‖v‖" in line)
    assert labels.index("f1") < labels.index("f2") < labels.index("f3")


def test_the_image_column_says_which_image_its_class_and_the_answer() -> None:
    lines = text(conv_snapshot(pictures_of(index=37)), 120, 40)
    assert lines[0].startswith("image 38/1,438")
    assert lines[1].startswith("class 3")
    assert lines[2].startswith("net 3 · 97 %")
    assert lines[-2].startswith("kernel w −") and lines[-1].startswith("map φ(z) −")


def test_identical_filters_draw_identical_tiles() -> None:
    snapshot = conv_snapshot(pictures_of(copies=(1, 5)), np.array([1, 5, 0, 2, 3, 4, 6, 7]))
    view = FiltersView(0, True, "full")
    records = filter_lines(filters_of(snapshot), DIGITS, snapshot.order, view, 120, 40)
    rows = [line.tiles for line in records if isinstance(line, FiltersLine) and line.tiles]
    first = rows[1:1 + 6]  # the first row of tiles: its label line, then 6 picture lines
    assert [tile.text for tile in rows[0][:2]] == ["f2 ‖v‖ .34", "f6 ‖v‖ .34"]
    assert all(row[0] == row[1] for row in first)  # f2 and f6 side by side, alike
    assert not all(row[0] == row[2] for row in first)


def test_the_selected_filters_page_is_shown_when_not_all_fit() -> None:
    pictures = pictures_of(count=32)
    lines = text(conv_snapshot(pictures), 60, 12, selected=31)
    assert any("page 4/4" in line or ("page" in line and "/" in line) for line in lines)
    assert any("▸f32" in line for line in lines)


def test_a_run_without_filters_says_what_draws_them() -> None:
    (line,) = text(small_snapshot(), 80, 20)
    assert "conv net" in line


def test_the_panel_draws_the_record_and_marks_the_selection() -> None:
    panel = FiltersPanel(color_mode="mono", byte_rate=0, id="filters")

    async def body(pilot) -> None:
        panel.show(conv_snapshot(pictures_of()))
        panel.select(2)
        await pilot.pause()
        drawn = "\n".join(panel_lines(panel))
        assert "▸f3" in drawn and "image 38/1,438" in drawn

    run_panels(panel, body, size=(100, 30))


# -- choosing the image: keys → controller → runner → trainer -----------------------------


def pictures_for(trainer_images: int, index: int = 0) -> FilterPictures:
    """Pictures claiming ``trainer_images`` training images (the runner's own count)."""
    base = pictures_of()
    probabilities = np.full(10, 0.1)
    return filter_pictures(base.kernels, base.maps, base.outgoing, base.image, index,
                           trainer_images, 3, probabilities)


def test_left_and_right_walk_the_training_images_round_and_tell_the_runner() -> None:
    runner = SyncRunner(TEST_CONFIG)
    images = len(runner.trainer.data.y_train)
    controller = RunController(runner, autoplay=False)
    snapshot = conv_snapshot(pictures_for(images))
    notice = controller.choose_image(-1, snapshot)
    assert notice.text == f"image {images} of {images}"
    assert runner.trainer.image_index == images - 1  # wrapped round to the last
    controller.choose_image(2, snapshot)
    assert runner.trainer.image_index == 1
    # A reset keeps the image; a smaller training split clips it.
    runner.reset(TEST_CONFIG)
    assert runner.trainer.image_index == 1


def test_choosing_an_image_of_a_run_without_filters_says_how_to_get_them() -> None:
    runner = SyncRunner(TEST_CONFIG)
    controller = RunController(runner, autoplay=False)
    notice = controller.choose_image(1, runner.latest())
    assert notice.severity == "warning" and "--arch conv" in notice.text
    assert runner.trainer.image_index == 0


def test_the_trainer_refuses_an_image_it_does_not_have() -> None:
    trainer = SyncRunner(TEST_CONFIG).trainer
    images = len(trainer.data.y_train)
    with pytest.raises(ValueError, match=f"image {images} is not one of the {images}"):
        trainer.select_image(images)
    changes = trainer.changes
    trainer.select_image(images + 5, clip=True)
    assert trainer.image_index == images - 1 and trainer.changes == changes + 1


def test_the_training_process_keeps_the_image_across_resets() -> None:
    parent, child = multiprocessing.Pipe()
    try:
        process = TrainingProcess(child, TEST_CONFIG, clock=FakeClock(start=0.0),
                                  outbox=RecordingOutbox(), learn_one_unit=False)
        process.handle(SelectImage(1, 7))
        assert process.trainer.image_index == 7
        process.handle(Reset(2, TEST_CONFIG))
        assert process.trainer.image_index == 7
    finally:
        parent.close()
        child.close()


def test_key_6_opens_the_filters_view_and_arrows_ask_for_an_image(make_app, drive) -> None:
    app = make_app()

    async def script(pilot) -> None:
        await pilot.press("6")
        await pilot.pause()
        assert app.main_screen.view == "filters"
        assert app.main_screen.boxes["filters-box"].display
        await pilot.press("right")
        await pilot.pause()
        assert "--arch conv" in app.last_message  # an MLP run: nothing to choose

    drive(app, script)
    help_rows = dict(row for _, rows in keys.help_sections(str) for row in rows)
    assert "6" in help_rows and "feature maps" in help_rows["6"]
