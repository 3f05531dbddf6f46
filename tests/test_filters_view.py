"""The filters view (view 6): kernels, their feature maps on the chosen image, the image
with the network's answer, read as text from the panel's records on synthetic arrays
(no training: the records are a function of the snapshot), and the panel mounted."""

from __future__ import annotations

import multiprocessing
from itertools import permutations

import numpy as np
import pytest
from conftest import (
    TEST_CONFIG,
    RecordingOutbox,
    panel_lines,
    run_panels,
    small_snapshot,
    wait_until,
)
from reference_conv import forward as conv_forward

from tui_symmetry.app import keys
from tui_symmetry.app.compare_screen import CompareScreen
from tui_symmetry.app.controller import RunController
from tui_symmetry.app.widgets._lines import records_text
from tui_symmetry.app.widgets._throttle import FakeClock
from tui_symmetry.app.widgets.filters import (
    FiltersLine,
    FiltersPanel,
    FiltersView,
    TilePictures,
    filter_lines,
    filters_layout,
    paint_filters,
)
from tui_symmetry.app.widgets.weights import WeightsView, paint_weights, weights_lines
from tui_symmetry.core import metrics
from tui_symmetry.core.config import Config
from tui_symmetry.core.matching import cross_similarity
from tui_symmetry.core.pictures import (
    FilterPictures,
    filter_pictures,
    filters_of,
    outgoing_norms,
)
from tui_symmetry.core.trainer import Trainer
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
    return filter_pictures(kernels, maps, outgoing, rng.normal(size=(8, 8)), index, 1438,
                           label=3, predicted=3, confidence=0.97)


def text(pictures: FilterPictures | None, width: int, height: int, selected: int = 0,
         by_similarity: bool = True, order: np.ndarray | None = None) -> list[str]:
    view = FiltersView(selected, by_similarity, "mono")
    count = 8 if pictures is None else len(pictures.kernels)
    order = np.arange(count) if order is None else order
    records = filter_lines(pictures, DIGITS, order, view, width, height)
    return records_text(records, paint_filters, "mono")


def test_the_record_checks_its_arrays_and_names_the_networks_answer() -> None:
    pictures = pictures_of()
    assert pictures.kernels.shape == (8, 3, 3) and pictures.maps.shape == (8, 6, 6)
    assert pictures.kernel_scale == np.max(np.abs(pictures.kernels))
    assert (pictures.predicted, pictures.confidence) == (3, 0.97)
    assert not pictures.kernels.flags.writeable
    with pytest.raises(ValueError, match="maps"):
        filter_pictures(np.zeros((8, 3, 3)), np.zeros((7, 6, 6)), np.zeros(8), np.zeros((8, 8)),
                        0, 10, 0, 0, 0.1)
    with pytest.raises(ValueError, match="image 10 is not one of the 10"):
        filter_pictures(np.zeros((8, 3, 3)), np.zeros((8, 6, 6)), np.zeros(8), np.zeros((8, 8)),
                        10, 10, 0, 0, 0.1)


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
    lines = text(pictures, 120, 40, selected=0, order=order)
    first_labels = next(line for line in lines if "‖v‖" in line)
    assert first_labels.index("f4") < first_labels.index("f1")  # similarity order
    assert "▸f1 ‖v‖ .2" in first_labels  # the selected filter is marked
    # f3's outgoing length is 0.2 + 2/7: the label rounds what the record holds.
    assert any(f"f3 ‖v‖ {pictures.outgoing[2]:.2f}".replace("0.", ".") in line
               for line in lines)
    by_number = text(pictures, 120, 40, by_similarity=False, order=order)
    labels = next(line for line in by_number if "‖v‖" in line)
    assert labels.index("f1") < labels.index("f2") < labels.index("f3")


def test_the_image_column_says_which_image_its_class_and_the_answer() -> None:
    lines = text(pictures_of(index=37), 120, 40)
    assert lines[0].startswith("image 38/1,438")
    assert lines[1].startswith("class 3")
    assert lines[2].startswith("net 3 · 97 %")
    assert lines[-2].startswith("kernel w −") and lines[-1].startswith("map φ(z) −")


def test_identical_filters_draw_identical_tiles() -> None:
    order = np.array([1, 5, 0, 2, 3, 4, 6, 7])
    view = FiltersView(0, True, "full")
    records = filter_lines(pictures_of(copies=(1, 5)), DIGITS, order, view, 120, 40)
    rows = [line.tiles for line in records if isinstance(line, FiltersLine) and line.tiles]
    first = rows[1:1 + 6]  # the first row of tiles: its label line, then 6 picture lines
    assert [tile.text for tile in rows[0][:2]] == ["f2 ‖v‖ .34", "f6 ‖v‖ .34"]
    assert all(row[0] == row[1] for row in first)  # f2 and f6 side by side, alike
    assert not all(row[0] == row[2] for row in first)


def test_the_selected_filters_page_is_shown_when_not_all_fit() -> None:
    pictures = pictures_of(count=32)
    lines = text(pictures, 60, 12, selected=31)
    assert any("page 4/4" in line or ("page" in line and "/" in line) for line in lines)
    assert any("▸f32" in line for line in lines)


def test_a_run_without_filters_says_what_draws_them() -> None:
    assert filters_of(small_snapshot()) is None
    (line,) = text(None, 80, 20)
    assert "conv net" in line


CONV = Config(dataset="digits", samples=300, arch="conv", filters=4, kernel=3,
              init="xavier", epsilon=0.0, lr=0.5)
"""A small conv run: four filters on 300 digits (240 of them for training)."""


def test_a_conv_snapshot_gives_the_record_the_view_draws() -> None:
    trainer = Trainer(CONV)
    trainer.step(3)
    snap = trainer.snapshot(image_index=5)
    pictures = filters_of(snap)
    assert pictures is not None
    p, data = trainer.params, trainer.data
    assert np.array_equal(pictures.kernels, p.W1.reshape(4, 3, 3))
    assert pictures.images == len(data.y_train) and pictures.label == data.y_train[5]
    # The maps and the answer a second way: the reference's loops over positions.
    params = {"Wc": p.W1.reshape(4, 1, 3, 3), "bc": p.b1, "W2": p.W2, "b2": p.b2}
    z, _, out = conv_forward(params, data.X_train[5:6].reshape(1, 8, 8), CONV.activation)
    np.testing.assert_allclose(pictures.maps, np.tanh(z[0]), rtol=0, atol=1e-6)  # float32
    assert pictures.predicted == int(np.argmax(out[0]))
    e = np.exp(out[0] - out[0].max())
    assert pictures.confidence == pytest.approx(e.max() / e.sum(), rel=1e-12)
    # ‖v‖: each filter's block of outgoing weights, centred over the classes per cell.
    blocks = p.W2.reshape(10, 4, -1)
    centred = blocks - blocks.mean(axis=0, keepdims=True)
    for k in range(4):
        assert pictures.outgoing[k] == pytest.approx(np.linalg.norm(centred[:, k]), rel=1e-12)


def test_the_panel_draws_the_record_and_marks_the_selection() -> None:
    panel = FiltersPanel(color_mode="mono", byte_rate=0, id="filters")
    snap = Trainer(CONV).snapshot(image_index=37)

    async def body(pilot) -> None:
        panel.show(snap)
        panel.select(2)
        await pilot.pause()
        drawn = "\n".join(panel_lines(panel))
        assert "▸f3" in drawn and "image 38/240" in drawn

    run_panels(panel, body, size=(100, 30))


# -- choosing the image: keys → controller → runner → the snapshot's image ---------------


def test_left_and_right_walk_the_training_images_round_and_tell_the_runner() -> None:
    runner = SyncRunner(CONV)
    images = 240
    controller = RunController(runner, autoplay=False)
    notice = controller.choose_image(-1, runner.latest())
    assert notice.text == f"image {images} of {images}"
    assert runner.latest().image_index == images - 1  # wrapped round to the last
    controller.choose_image(2, runner.latest())
    assert runner.latest().image_index == 1
    runner.reset(CONV)  # a reset keeps the image
    assert runner.latest().image_index == 1


def test_choosing_an_image_of_a_run_without_filters_says_how_to_get_them() -> None:
    runner = SyncRunner(TEST_CONFIG)
    controller = RunController(runner, autoplay=False)
    notice = controller.choose_image(1, runner.latest())
    assert notice.severity == "warning" and "--arch conv" in notice.text
    assert controller.image_index == 0


def test_the_training_process_pictures_the_image_across_resets() -> None:
    parent, child = multiprocessing.Pipe()
    try:
        outbox = RecordingOutbox()
        process = TrainingProcess(child, CONV, clock=FakeClock(start=0.0), outbox=outbox,
                                  learn_one_unit=False)
        process.handle(SelectImage(1, 7))
        process.publish()
        process.handle(Reset(2, CONV))
        process.publish()
        assert [reply.snapshot.image_index for reply in outbox.snapshots()[-2:]] == [7, 7]
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
    assert "6" in help_rows and "conv" in help_rows["6"]


def test_the_weights_of_a_conv_run_are_kernels_and_the_length_of_each_block() -> None:
    """A filter's row: its nine kernel weights, its bias and one ‖v‖ column, the length
    of its outgoing block of C·P weights (one column per class would be P of them)."""
    snap = Trainer(CONV).snapshot()
    view = WeightsView(0, 0, 1.0, "mono")
    records, _ = weights_lines(snap, snap, view, 76, 20)
    lines = records_text(records, paint_weights, "mono")
    header = next(line for line in lines if "‖v‖" in line).split()
    assert header[header.index("x8"):header.index("‖v‖") + 1] == ["x8", "b", "‖v‖"]
    blocks = snap.params.W2.reshape(10, 4, -1)
    centred = blocks - blocks.mean(axis=0, keepdims=True)
    lengths = np.sqrt((centred ** 2).sum(axis=(0, 2)))
    assert np.allclose(outgoing_norms(snap.params.W2, True, 4), lengths, rtol=1e-12)
    listed = next(line for line in lines if "‖v‖ +" in line)  # the selected filter's
    assert f"‖v‖ +{lengths[0]:.3f}" in listed


def test_compare_of_two_conv_seeds_matches_their_filters(make_app, drive,
                                                         no_one_unit_search) -> None:
    """Compare in the app on a conv run (palette: Compare with … seed): B's filters
    matched to A's by the best pairing, shown against chance; checked against every
    pairing of the four filters."""
    app = make_app(CONV)

    async def script(pilot) -> None:
        app.compare_with("seed", 2)
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.snapshots is not None)
        screen.action_step(10)
        await pilot.pause()
        pair = screen.snapshots
        a, b = pair.sides
        assert (a.step, b.step, b.config.seed) == (10, 10, 2)
        S = cross_similarity(metrics.unit_vectors(a.params), metrics.unit_vectors(b.params),
                             CONV.activation, metrics.shape_of(a.params))
        best = max(np.mean(S[np.arange(4), list(p)]) for p in permutations(range(4)))
        assert pair.matching.mean == pytest.approx(best, abs=1e-12)
        line = str(screen.matching_line.render())
        assert line.startswith(f"B matched to A: {best:.3f}") and " · chance " in line

    drive(app, script)


def test_a_new_image_is_drawn_at_once_not_at_the_next_numbers_tick(make_app, drive,
                                                                  no_one_unit_search) -> None:
    """→ answers with the maps of the next image in its own frame: the screen's numbers
    (0.5 s apart) and the panel's byte budget hold back a run's progress, not a key."""
    clock = FakeClock()
    app = make_app(CONV, numbers_interval=0.5, clock=clock, view="filters")

    async def script(pilot) -> None:
        app.runner.step(2)  # a step after the first print: the numbers' interval runs
        app.poll_now()
        await pilot.pause()
        panel = app.main_screen.filters_panel
        panel.byte_rate = 1.0  # a budget the first picture has spent already
        await pilot.press("right")
        await pilot.pause()
        assert "image 2/240" in "\n".join(panel_lines(panel))

    drive(app, script, size=(100, 30))


def test_the_training_process_answers_an_image_with_its_maps_only() -> None:
    """← → cost a conv run's image fields, not a whole snapshot: the picture on screen
    comes back with the new image's maps and answer, the rest as it was."""
    parent, child = multiprocessing.Pipe()
    try:
        outbox = RecordingOutbox()
        process = TrainingProcess(child, CONV, clock=FakeClock(start=0.0), outbox=outbox,
                                  learn_one_unit=False)
        process.publish()
        first = outbox.snapshots()[-1].snapshot
        process.handle(SelectImage(1, 7))
        process.publish()
        again = outbox.snapshots()[-1].snapshot
        assert (again.step, again.image_index) == (first.step, 7)
        assert again.version > first.version and again.similarity is first.similarity
        whole = Trainer(CONV).snapshot(image_index=7)  # a second way: a whole snapshot
        assert np.array_equal(again.feature_maps, whole.feature_maps)
        assert (again.image_label, again.image_prediction, again.image_confidence) == (
            whole.image_label, whole.image_prediction, whole.image_confidence)
    finally:
        parent.close()
        child.close()


def test_while_training_an_image_is_answered_at_once_for_the_step_on_screen() -> None:
    """→ while the run trains: the picture on screen (an older step than the trainer's)
    comes back before any more training with the new image's maps and answer as they
    were at that picture's step, computed from its own parameters, not a whole snapshot
    of the newer state after the next chunk."""
    parent, child = multiprocessing.Pipe()
    try:
        outbox = RecordingOutbox()
        process = TrainingProcess(child, CONV, clock=FakeClock(start=0.0), outbox=outbox,
                                  learn_one_unit=False)
        process.publish()
        first = outbox.snapshots()[-1].snapshot
        process.train()  # the trainer moves on: the picture shown is step 0's
        assert process.trainer.step_count > first.step
        process.handle(SelectImage(1, 7))
        answer = outbox.snapshots()[-1]
        assert answer.seq == 1 and not process.answered  # answered: no whole picture owed
        again = answer.snapshot
        assert (again.step, again.image_index) == (first.step, 7)
        assert again.version > first.version and again.similarity is first.similarity
        whole = Trainer(CONV).snapshot(image_index=7)  # a second way: step 0, whole
        assert np.array_equal(again.feature_maps, whole.feature_maps)
        assert (again.image_label, again.image_prediction, again.image_confidence) == (
            whole.image_label, whole.image_prediction, whole.image_confidence)
    finally:
        parent.close()
        child.close()


def test_a_frame_paints_each_distinct_picture_line_once(monkeypatch) -> None:
    """Alike filters (a run from copies) draw the same kernel and map lines side by side:
    each distinct picture line is painted once, not once per tile (→ repaints every
    line of the panel, so this is most of its cost), and the segments are those of each
    line painted afresh."""
    from rich.style import Style

    from tui_symmetry.app.widgets import filters as filters_module
    from tui_symmetry.app.widgets._palette import StyleCache

    rng = np.random.default_rng(1)
    kernels = np.repeat(rng.normal(size=(1, 3, 3)), 8, axis=0)
    maps = np.repeat(np.tanh(rng.normal(size=(1, 6, 6))), 8, axis=0)
    pictures = filter_pictures(kernels, maps, np.ones(8), rng.normal(size=(8, 8)), 4, 1438,
                               label=3, predicted=3, confidence=0.5)
    view = FiltersView(0, False, "full")
    records = filter_lines(pictures, DIGITS, np.arange(8), view, 118, 36)
    parts = {part for record in records if isinstance(record, FiltersLine)
             for tile in record.tiles if isinstance(tile, TilePictures)
             for part in (tile.kernel, tile.fmap) if part is not None}
    parts |= {record.image for record in records if isinstance(record, FiltersLine)
              and type(record.image).__name__ == "PixelLine"}
    painted = []
    fresh = filters_module.paint_pixels
    monkeypatch.setattr(filters_module, "paint_pixels",
                        lambda line, styles: painted.append(line) or fresh(line, styles))
    styles = StyleCache()
    styles.reset_if_changed(Style(), "full")
    frame = [paint_filters(record, styles) for record in records]
    assert sum(isinstance(line, type(next(iter(parts)))) for line in painted) == len(parts)
    monkeypatch.setattr(filters_module, "paint_pixels", fresh)
    monkeypatch.setattr(filters_module, "_painted", filters_module._painted.__wrapped__)
    assert frame == [paint_filters(record, styles) for record in records]


def test_the_similarity_of_a_conv_run_names_its_filters_as_the_filters_view_does() -> None:
    from conftest import snapshot_of

    from tui_symmetry.app.widgets.similarity import MatrixLine, SimilarityView, similarity_lines
    from tui_symmetry.core.function_space import SpaceView

    snap = snapshot_of(CONV, 2)
    view = SimilarityView(selected=0, by_similarity=True, space="weights", mode="full")
    lines = similarity_lines(snap, snap, SpaceView.of_weights, view, 60, 30)
    labels = sorted(line.label.strip("▸ ") for line in lines
                    if isinstance(line, MatrixLine) and line.label)
    assert labels == ["f1", "f2", "f3", "f4"]
