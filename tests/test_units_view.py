"""The units view: unit maps and data-loss gradients in the core, the Units gallery and
the Gradient panel.

Snapshots come from small seeded Trainers (or hand-made parameters with maps that agree
with them), so every picture is deterministic.  Tests read back what is drawn: the
gallery's text through ``rendered_lines()`` and its tiles' strips (segments and styles)
through the Line API of its column strips.  Throttles run on a fake clock.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import pytest
from conftest import SMALL, FakeClock, panel_lines, run_panels, small_snapshot, wait_until
from textual.pilot import Pilot
from textual.widget import Widget

from tui_symmetry.app.numbers import format_compact, format_fit
from tui_symmetry.app.widgets._lines import records_text
from tui_symmetry.app.widgets._palette import (
    ANSI16_NEGATIVE,
    ANSI16_POSITIVE,
    ColorMode,
    StableScale,
)
from tui_symmetry.app.widgets.gradients import (
    IDENTICAL_LEVEL,
    BarPart,
    BodyLine,
    CopiesLegend,
    GradientPanel,
    GradientsView,
    gradient_lines,
    paint_gradients,
    quantize_gaps,
)
from tui_symmetry.app.widgets.units import (
    BOUNDARY_FULL,
    BOUNDARY_GLYPH,
    MIN_TILE_HEIGHT,
    MIN_TILE_WIDTH,
    POINT_GLYPHS,
    SIGNED_GLYPHS,
    GalleryLayout,
    GalleryView,
    LabelPart,
    PlaneFrame,
    UnitsGallery,
    gallery_layout,
    gallery_lines,
    next_unit,
    plane_frame,
    unit_name,
)
from tui_symmetry.core import metrics
from tui_symmetry.core.config import ACTIVATIONS, Config
from tui_symmetry.core.gradients import gradient_gaps, gradient_norms, unit_gradients
from tui_symmetry.core.network import ACTIVATIONS as ACTIVATION_RECORDS
from tui_symmetry.core.network import Params
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.core.unit_maps import (
    CURVE_POINTS,
    OUTPUT_SIDE,
    PLANE_SIDE,
    activation_range,
    grid_extent,
    plane_side,
    unit_maps,
)


def snapshot(steps: int = 0, **changes: Any) -> Snapshot:
    """A small seeded run's snapshot after ``steps`` steps, as a runner's first picture."""
    return small_snapshot(steps, version=1, **changes)


BRAILLE = re.compile("[\u2801-\u28ff]")


def copies(groups: list[int], **changes: Any) -> Snapshot:
    """A snapshot whose unit i is a copy of prototype ``groups[i]`` (xavier prototypes),
    with metrics, order and maps that agree with the parameters."""
    snap = snapshot(400, init="xavier", hidden=max(groups) + 1, **changes)
    p = snap.params
    idx = np.asarray(groups)
    params = Params(p.W1[idx].copy(), p.b1[idx].copy(), p.W2[:, idx].copy(), p.b2.copy())
    trainer = Trainer(snap.config)
    summary = metrics.summarize(params, snap.config.activation)
    return dataclasses.replace(
        snap,
        params=params,
        version=2,
        similarity=summary["similarity"],
        dead=summary["dead"],
        order=np.arange(len(groups)),
        unit_maps=unit_maps(params, trainer.data, snap.config.activation),
    )


def run(widgets: tuple[Widget, ...] | Widget, body: Callable[[Pilot], Awaitable[None]],
        size: tuple[int, int] = (120, 40)) -> None:
    run_panels(widgets, body, size)


def _settled(gallery: UnitsGallery) -> bool:
    """The gallery's column strips are mounted at the layout's widths and painted."""
    columns = gallery._columns
    widths = tuple(column.size.width for column in columns)
    return bool(columns and gallery._layout and widths == gallery._layout.strip_widths
                and all(column._strips for column in columns))


async def settle(pilot: Pilot, gallery: UnitsGallery) -> None:
    """Let Textual mount and paint the gallery's column strips (its queue, no clock)."""
    await wait_until(pilot, lambda: _settled(gallery))


async def shown(pilot: Pilot, gallery: UnitsGallery, snap: Snapshot) -> list[str]:
    gallery.show(snap)
    await settle(pilot, gallery)
    return gallery.rendered_lines()


def tiles(gallery: UnitsGallery) -> dict[str, list[list[tuple]]]:
    """Each unit tile's image lines as (text, style) segments, by its label."""
    layout = gallery._layout
    first = 1 if layout.out_width else 0
    found: dict[str, list[list[tuple]]] = {}
    for column in gallery._columns[first:]:
        for top in range(0, layout.rows * (layout.tile_lines + 1), layout.tile_lines + 1):
            label = column.render_line(top).text.strip().lstrip("▸").rstrip("†")
            if not label:
                continue
            found[label] = [
                [(seg.text, seg.style) for seg in
                 column.render_line(top + 1 + line).crop(0, layout.tile_width)]
                for line in range(layout.tile_lines)
            ]
    return found


def output_cells(gallery: UnitsGallery) -> list[tuple[str, Any]]:
    """(character, style) of every cell of the output tile's image."""
    layout = gallery._layout
    column = gallery._columns[0]
    cells = []
    for y in range(1, layout.out_lines + 1):
        for seg in column.render_line(y).crop(0, layout.out_width):
            cells.extend((char, seg.style) for char in seg.text)
    return cells


# -- core: unit maps ----------------------------------------------------------------------------


def test_activation_ranges_come_from_the_registry():
    ranges = {name: activation_range(ACTIVATION_RECORDS[name]) for name in ACTIVATIONS}
    assert ranges["tanh"] == (-1.0, 1.0)
    assert ranges["sigmoid"] == (0.0, 1.0)
    assert ranges["relu"] == (0.0, np.inf)
    assert ranges["linear"] == (-np.inf, np.inf)
    assert ranges["leaky_relu"] == (-np.inf, np.inf)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_maps_are_the_network_itself(activation: str):
    """Each map is φ(W1 x + b1) of its unit, and the output map is the network's logit."""
    snap = snapshot(50, init="xavier", activation=activation)
    maps = snap.unit_maps
    p = snap.params
    lo, hi = maps.extent
    assert maps.is_plane and maps.hidden.shape == (8, PLANE_SIDE, PLANE_SIDE)
    assert maps.output.shape == (OUTPUT_SIDE, OUTPUT_SIDE)
    # Row k is x1 = x1[k], column j is x0 = x0[j].
    x = np.array([maps.x0[5], maps.x1[17]])
    z = p.W1 @ x + p.b1
    expected = ACTIVATION_RECORDS[activation].forward(z, np.empty_like(z))
    np.testing.assert_allclose(maps.hidden[:, 17, 5], expected, rtol=1e-6, atol=1e-6)
    xo = np.array([maps.out_x0[3], maps.out_x1[30]])
    zo = p.W1 @ xo + p.b1
    out = p.W2[0] @ ACTIVATION_RECORDS[activation].forward(zo, np.empty_like(zo)) + p.b2[0]
    np.testing.assert_allclose(maps.output[30, 3], out, rtol=1e-5, atol=1e-5)
    assert not maps.hidden.flags.writeable and not maps.output.flags.writeable
    # The grid spans every point, with a margin.
    points = np.concatenate([maps.train_X, maps.test_X])
    assert lo < points.min() and points.max() < hi
    assert (lo, hi) == grid_extent(Trainer(snap.config).data)


def test_identical_units_have_bit_identical_maps():
    for hidden in (5, 7, 13, 33):
        snap = snapshot(200, init="symmetric", epsilon=0.0, hidden=hidden)
        hidden_maps = snap.unit_maps.hidden
        assert all(np.array_equal(hidden_maps[0], hidden_maps[i]) for i in range(hidden))


def test_curves_for_one_input():
    snap = snapshot(100, dataset="sine", init="xavier")
    maps = snap.unit_maps
    assert not maps.is_plane and maps.x1 is None
    assert maps.hidden.shape == (8, CURVE_POINTS) and maps.output.shape == (CURVE_POINTS,)
    p = snap.params
    a = np.tanh(p.W1[:, 0] * maps.x0[10] + p.b1)
    np.testing.assert_allclose(maps.hidden[:, 10], a, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(maps.output[10], p.W2[0] @ a + p.b2[0], rtol=1e-5, atol=1e-5)


def test_many_units_get_coarser_maps_within_budget():
    assert plane_side(8) == plane_side(64) == PLANE_SIDE
    assert plane_side(128) < PLANE_SIDE and plane_side(256) >= 12
    assert 256 * plane_side(256) ** 2 <= 64 * PLANE_SIDE**2


# -- core: gradients ------------------------------------------------------------------------------


def test_gradient_gaps_are_exactly_zero_for_a_symmetric_init():
    trainer = Trainer(Config(**SMALL, init="symmetric", epsilon=0.0))
    for _ in range(3):
        snap = trainer.snapshot()
        assert snap.grad_gaps.shape == (8, 8)
        assert np.all(snap.grad_gaps == 0.0)
        assert np.all(snap.grad_norms == snap.grad_norms[0]) and snap.grad_norms[0] > 0
        trainer.step(500)


def test_gradient_gaps_are_nonzero_for_xavier():
    snap = snapshot(0, init="xavier")
    off_diagonal = snap.grad_gaps[~np.eye(8, dtype=bool)]
    assert np.all(off_diagonal > 0) and np.all(np.diag(snap.grad_gaps) == 0)
    assert np.array_equal(snap.grad_gaps, snap.grad_gaps.T)


def test_the_snapshot_gradient_is_the_data_loss_gradient_on_the_whole_set():
    """Not the last step's: no penalty, no dropout mask, no minibatch."""
    config = Config(**SMALL, init="xavier", l2=0.5, tie=1.0, dropout=0.3, batch_size=7)
    trainer = Trainer(config)
    trainer.step(40)
    snap = trainer.snapshot()
    data = trainer.data
    g = unit_gradients(snap.params, data.X_train, data.y_train, config.activation, "bce")
    assert np.array_equal(snap.grad_norms, gradient_norms(g))
    assert np.array_equal(snap.grad_gaps, gradient_gaps(g))
    # Copies with dropout on: training will split them, but their data-loss gradients
    # at this state are identical, exactly.
    twins = Trainer(Config(**SMALL, init="symmetric", epsilon=0.0, dropout=0.5))
    assert np.all(twins.snapshot().grad_gaps == 0.0)


def test_gap_is_zero_only_between_identical_rows():
    rows = np.random.default_rng(0).normal(size=(6, 4))
    rows[3] = rows[1]
    rows[0, 0] = 0.0
    rows[5] = rows[0]
    rows[5, 0] = 1e-300  # its square underflows; the gap must not read as zero
    gaps = gradient_gaps(rows)
    assert gaps.dtype == np.float32
    assert gaps[1, 3] == gaps[3, 1] == 0.0
    assert gaps[0, 5] > 0 and gaps[5, 0] > 0
    zero_pairs = {(i, j) for i, j in zip(*np.nonzero(gaps == 0), strict=True) if i != j}
    assert zero_pairs == {(1, 3), (3, 1)}
    np.testing.assert_allclose(gaps[0, 1], np.linalg.norm(rows[0] - rows[1]), rtol=1e-6)


# -- layout ---------------------------------------------------------------------------------------


def test_layout_fits_every_unit_or_pages_at_the_minimum_tile():
    few = gallery_layout(120, 38, 8)
    assert few.per_page >= 8 and few.tile_width >= MIN_TILE_WIDTH
    assert few.tile_width == 2 * few.tile_lines  # square pictures
    assert few.out_width >= few.tile_width
    many = gallery_layout(80, 22, 64)
    assert many.per_page < 64
    assert many.tile_width == MIN_TILE_WIDTH and many.tile_lines + 1 == MIN_TILE_HEIGHT
    assert sum(many.strip_widths) <= 80


# -- the gallery ------------------------------------------------------------------------------


def test_identical_units_have_identical_tiles():
    gallery = UnitsGallery()
    snap = copies([0, 1, 0, 1, 2, 0, 2, 1])

    async def body(pilot: Pilot) -> None:
        await shown(pilot, gallery, snap)
        drawn = tiles(gallery)
        assert set(drawn) == {unit_name(i) for i in range(8)}
        groups = {0: [0, 2, 5], 1: [1, 3, 7], 2: [4, 6]}
        for members in groups.values():
            first = drawn[unit_name(members[0])]
            assert all(drawn[unit_name(m)] == first for m in members)
        assert drawn[unit_name(0)] != drawn[unit_name(1)] != drawn[unit_name(4)]

    run(gallery, body)


def test_copies_of_one_unit_draw_one_picture_many_times():
    gallery = UnitsGallery()
    snap = snapshot(300, init="symmetric", epsilon=0.0)

    async def body(pilot: Pilot) -> None:
        await shown(pilot, gallery, snap)
        pictures = list(tiles(gallery).values())
        assert len(pictures) == 8 and all(p == pictures[0] for p in pictures)

    run(gallery, body)


def test_tiles_follow_the_similarity_order():
    gallery = UnitsGallery()
    snap = dataclasses.replace(copies([0, 1, 0, 1, 2, 0, 2, 1]), order=np.array(
        [0, 2, 5, 1, 3, 7, 4, 6]))

    def labels() -> list[str]:
        found = []
        for line in gallery.rendered_lines()[1:-1]:
            found += re.findall(r"unit \d+", line)
        return found

    async def body(pilot: Pilot) -> None:
        await shown(pilot, gallery, snap)
        assert labels() == [unit_name(u) for u in snap.order]
        gallery.toggle_order()
        await pilot.pause()
        assert not gallery.by_similarity
        assert labels() == [unit_name(u) for u in range(8)]

    run(gallery, body)


def test_output_map_shows_training_and_test_points_and_the_boundary():
    gallery = UnitsGallery()
    snap = snapshot(1500, init="xavier")

    async def body(pilot: Pilot) -> None:
        lines = await shown(pilot, gallery, snap)
        assert "network output" in lines[1]
        cells = output_cells(gallery)
        chars = {char for char, _ in cells}
        # Both classes of both kinds of points.
        assert set(POINT_GLYPHS.values()) <= chars
        # The boundary: white pixels, where the logit changes sign.
        boundary = [style for char, style in cells
                    if BOUNDARY_FULL in (str(style.color and style.color.triplet.hex),
                                         str(style.bgcolor and style.bgcolor.triplet.hex))]
        assert len(boundary) >= gallery._layout.out_lines
        # The legend names both.
        assert "train" in lines[0] and "test" in lines[0] and "boundary" in lines[0]

    run(gallery, body)


def test_one_input_draws_curves_and_the_fit_over_the_data():
    gallery = UnitsGallery()
    snap = snapshot(1500, dataset="sine", init="xavier")

    async def body(pilot: Pilot) -> None:
        lines = await shown(pilot, gallery, snap)
        assert "network fit" in lines[1]
        layout = gallery._layout
        fit = "".join(char for char, _ in output_cells(gallery))
        assert BRAILLE.search(fit) and "•" in fit and "◆" in fit
        for label, picture in tiles(gallery).items():
            text = "".join(text for line in picture for text, _ in line)
            assert BRAILLE.search(text), f"{label} draws no curve"
        assert layout.out_width and "fit" in lines[0]

    run(gallery, body)


@pytest.mark.parametrize("size", [(80, 24), (60, 16)])
def test_many_units_page_with_the_selection(size: tuple[int, int]):
    gallery = UnitsGallery()
    snap = snapshot(100, init="xavier", hidden=64)

    async def body(pilot: Pilot) -> None:
        lines = await shown(pilot, gallery, snap)
        layout = gallery._layout
        assert layout.tile_width >= MIN_TILE_WIDTH
        assert layout.tile_lines + 1 >= min(MIN_TILE_HEIGHT, size[1] - 3)
        page, pages = gallery.page
        position = int(np.flatnonzero(snap.order == 0)[0])  # unit 0 starts selected
        assert pages == -(-64 // layout.per_page) > 1
        assert page == position // layout.per_page + 1
        assert lines[-1].endswith(f"page {page}/{pages}")
        for target in (int(snap.order[-1]), int(snap.order[layout.per_page]), 17):
            gallery.select(target)
            await settle(pilot, gallery)
            lines = gallery.rendered_lines()
            selected = f"▸{unit_name(target)}"
            body_text = "\n".join(lines[1:-1])
            assert re.search(re.escape(selected) + r"\b", body_text), body_text
            assert lines[-1].startswith(selected)
            position = int(np.flatnonzero(snap.order == target)[0])
            assert gallery.page == (position // layout.per_page + 1, pages)
        # The unit after the first page's last, in the display order, is on page 2.
        gallery.select(next_unit(snap.order, int(snap.order[layout.per_page - 1]), 1))
        assert gallery.selected_unit == int(snap.order[layout.per_page])
        assert gallery.page[0] == 2

    run(gallery, body, size=size)


def test_mono_and_ansi16_shade_pixels_with_glyphs():
    mono = UnitsGallery(color_mode="mono")
    ansi = UnitsGallery(color_mode="ansi16")
    snap = snapshot(1500, init="xavier")

    async def body(pilot: Pilot) -> None:
        for gallery in (mono, ansi):
            gallery.show(snap)
        await settle(pilot, mono)
        await settle(pilot, ansi)
        for gallery in (mono, ansi):
            text = "\n".join(gallery.rendered_lines())
            pictures = "".join(t for picture in tiles(gallery).values()
                               for line in picture for t, _ in line)
            # Both sides of the scale, each in its own glyphs, and no half-blocks.
            assert set(pictures) & set(SIGNED_GLYPHS[:4]) and set(pictures) & set(
                SIGNED_GLYPHS[5:])
            assert "▀" not in pictures
            output = "".join(char for char, _ in output_cells(gallery))
            assert BOUNDARY_GLYPH in output and set(POINT_GLYPHS.values()) <= set(output)
            assert "boundary" in text.splitlines()[0]
        # Mono: every pixel in the plain text colour; 16 colours: coloured by sign.
        assert len({style.color for picture in tiles(mono).values()
                    for line in picture for _, style in line}) == 1
        colours = {style.color.triplet.hex for picture in tiles(ansi).values()
                   for line in picture for text, style in line
                   if style.color is not None and text.strip()}
        assert colours == {ANSI16_NEGATIVE, ANSI16_POSITIVE}

    run((mono, ansi), body, size=(100, 60))


def test_pictures_wait_for_the_byte_budget_and_numbers_do_not():
    clock = FakeClock()
    gallery = UnitsGallery(byte_rate=2000.0, clock=clock, text_interval=0)
    trainer = Trainer(Config(**SMALL, init="xavier"))
    snaps = []
    for version in range(1, 4):
        trainer.step(300)
        snaps.append(trainer.snapshot(version=version))

    async def body(pilot: Pilot) -> None:
        await shown(pilot, gallery, snaps[0])  # the first picture: at once, not charged
        first = tiles(gallery)
        clock.now += 0.05
        await shown(pilot, gallery, snaps[1])  # within the burst: drawn, and charged
        second = tiles(gallery)
        assert second != first and gallery.image_budget.wait() > 0
        clock.now += 0.05
        lines = await shown(pilot, gallery, snaps[2])  # in debt: the pictures wait...
        assert tiles(gallery) == second and gallery._shown is snaps[1]
        # ... the selected unit's numbers do not.
        w = snaps[2].params.W1[gallery.selected_unit]
        assert f"{w[0]:+.3f}" in lines[-1]
        # Once the budget allows it, the trailing update draws the newest pictures.
        clock.now += gallery.image_budget.wait() - 0.01
        gallery.flush_images()  # a timer that fires early: still in debt, nothing drawn
        assert gallery._shown is snaps[1]
        clock.now += 0.02
        gallery.flush_images()
        await settle(pilot, gallery)
        assert gallery._shown is snaps[2] and tiles(gallery) != second
        assert gallery.bytes_estimated > 0

    run(gallery, body)


def test_a_repeated_snapshot_rebuilds_nothing():
    gallery = UnitsGallery()
    snap = snapshot(300, init="xavier")

    async def body(pilot: Pilot) -> None:
        await shown(pilot, gallery, snap)
        built = [strip.strips_built for strip in (gallery._legend, *gallery._columns)]
        gallery.show(snap)
        gallery.show(dataclasses.replace(snap))
        assert [strip.strips_built for strip in (gallery._legend, *gallery._columns)] == built

    run(gallery, body)


@pytest.mark.parametrize("changes", [
    {"dataset": "sine", "lr": 50.0},
    {"init": "xavier", "tie": 11.0},
    {"dataset": "linear", "activation": "relu", "optimizer": "momentum", "lr": 100.0},
])
def test_a_run_that_blew_up_still_draws(changes: dict[str, Any]):
    gallery = UnitsGallery()
    panel = GradientPanel(text_interval=0)
    snap = snapshot(3000, **changes)
    assert snap.diverged

    async def body(pilot: Pilot) -> None:
        lines = await shown(pilot, gallery, snap)
        panel.show(snap)
        await pilot.pause()
        assert lines[0] and lines[-1].startswith("▸unit 1")
        assert len(tiles(gallery)) == 8
        assert panel_lines(panel)[-1].startswith("identical gradients")

    run((gallery, panel), body, size=(120, 50))


def test_a_snapshot_without_maps_says_so():
    gallery = UnitsGallery()

    async def body(pilot: Pilot) -> None:
        gallery.show(dataclasses.replace(snapshot(0), unit_maps=None))
        await pilot.pause()
        await pilot.pause()
        assert gallery.rendered_lines()[0].startswith("no unit maps")

    run(gallery, body)


# -- the gradient panel -------------------------------------------------------------------------


def test_gap_levels_put_exact_zero_on_top():
    gaps = np.array([0.0, 1e-45, 1e-9, 1e-4, 3e-3, 0.02, 0.1, np.inf])
    levels = quantize_gaps(gaps, 0.1).tolist()
    assert levels[0] == IDENTICAL_LEVEL
    assert all(level < IDENTICAL_LEVEL for level in levels[1:])
    assert levels[1] == levels[2] == IDENTICAL_LEVEL - 1  # tiny, but not zero
    assert levels[6] == levels[7] == 0  # the largest
    assert levels[1:7] == sorted(levels[1:7], reverse=True)


def test_gradient_panel_is_one_bright_square_while_units_are_copies():
    panel = GradientPanel(text_interval=0)
    snap = snapshot(300, init="symmetric", epsilon=0.0)

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        lines = panel_lines(panel)
        assert "every gap is exactly 0" in lines[0]
        assert lines[-1].startswith("identical gradients: 28 of 28 pairs")
        top = {seg.style.color for y in range(panel.size.height)
               for seg in panel.render_line(y) if "▀" in seg.text}
        assert len(top) == 1  # every cell has the colour of an exact zero
        right = [line[panel.size.width // 2:] for line in lines]
        bars = [re.sub(r"[▸ ]u\d+", "", half) for half in right if re.search(r"u\d+ +█", half)]
        assert len(bars) == 8 and len(set(bars)) == 1  # eight equal bars

    run(panel, body, size=(100, 24))


def test_gradient_panel_shows_gaps_for_xavier_and_marks_the_selection():
    panel = GradientPanel(text_interval=0)
    snap = snapshot(300, init="xavier")

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        panel.select(int(snap.order[3]))
        await pilot.pause()
        lines = panel_lines(panel)
        assert lines[0].startswith("|gi-gj| =0") and "log" in lines[0]
        assert lines[-1].startswith("identical gradients: 0 of 28 pairs")
        selected = f"▸{unit_name(int(snap.order[3]), short=True)}"
        assert sum(selected in line for line in lines) == 2  # its matrix row and its bar
        value = float(snap.grad_norms[int(snap.order[3])])
        assert any(selected in line and format_compact(value, 2) in line for line in lines)

    run(panel, body, size=(100, 24))


def test_gradient_panel_with_many_units_scrolls_its_bars_to_the_selection():
    panel = GradientPanel(text_interval=0, color_mode="mono")
    snap = snapshot(100, init="xavier", hidden=64)

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        for target in (int(snap.order[-1]), int(snap.order[0]), int(snap.order[40])):
            panel.select(target)
            await pilot.pause()
            text = "\n".join(panel_lines(panel))
            assert f"▸{unit_name(target, short=True)} " in text
            assert "of 64" in text

    run(panel, body, size=(80, 24))


# -- the Gradient panel's text without mounting it --------------------------------------------


def _gradients_view(printed: Snapshot, selected: int = 0, top: int = 0,
                    mode: ColorMode = "full") -> GradientsView:
    """The view state of a panel whose scales have seen only ``printed``."""
    gap = float(np.max(printed.grad_gaps))  # finite in these small runs
    gap_scale = StableScale(floor=1e-300).update(gap) if gap > 0 else None
    norm_scale = StableScale(floor=1e-300).update(float(np.max(printed.grad_norms)))
    return GradientsView(selected, True, mode, top, gap_scale, norm_scale)


@pytest.mark.parametrize("seed", [1, 5])
def test_gradient_text_without_mounting_is_what_the_panel_draws(seed: int):
    snap = snapshot(600, init="xavier", seed=seed)
    panel = GradientPanel(text_interval=0, color_mode="full")
    records, top = gradient_lines(snap, snap, _gradients_view(snap, 3), 100, 24)
    text = records_text(records, paint_gradients, "full")
    assert top == 0 and len(text) == 24 and any("▸u4" in line for line in text)

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        panel.select(3)
        await pilot.pause()
        assert [line.rstrip() for line in panel_lines(panel)] == [
            line.rstrip() for line in text]

    run(panel, body, size=(100, 24))


def test_gradient_bars_and_numbers_are_the_printed_snapshots():
    printed, shown = snapshot(300, init="xavier"), snapshot(600, init="xavier")
    records, _ = gradient_lines(shown, printed, _gradients_view(printed), 100, 24)
    bars = {part.label: part.value for line in records if isinstance(line, BodyLine)
            for part in [line.right] if isinstance(part, BarPart)}
    assert bars == {unit_name(unit, short=True): format_compact(float(norm), 2)
                    for unit, norm in enumerate(printed.grad_norms)}
    assert bars != {unit_name(unit, short=True): format_compact(float(norm), 2)
                    for unit, norm in enumerate(shown.grad_norms)}


def test_copies_have_no_gap_scale_and_every_pair_identical():
    copies = snapshot(300, init="symmetric", epsilon=0.0)
    records, _ = gradient_lines(copies, copies, _gradients_view(copies, mode="mono"), 80, 20)
    assert isinstance(records[0], CopiesLegend)
    text = records_text(records, paint_gradients, "mono")
    assert "every gap is exactly 0" in text[0]
    assert text[-1].startswith("identical gradients: 28 of 28 pairs")


def test_gradient_bars_scroll_to_keep_the_selection_in_view():
    snap = snapshot(5, init="xavier", hidden=64)
    last = int(snap.order[-1])
    records, top = gradient_lines(snap, snap, _gradients_view(snap, last), 120, 14)
    assert top > 0
    text = records_text(records, paint_gradients, "full")
    assert any(f"▸{unit_name(last, short=True)}" in line for line in text)
    assert f"{top + 1}-64 of 64" in "\n".join(text)


def test_gradient_bars_move_with_their_printed_numbers_not_every_snapshot():
    """Between text updates neither the bars nor their numbers change (a bar that
    followed every snapshot repainted every line 20 times a second), and the bar always
    shows the value printed beside it."""
    clock = FakeClock()
    panel = GradientPanel(text_interval=1.0, clock=clock)
    start, first, later = (snapshot(steps, init="xavier") for steps in (200, 300, 600))

    def bar_lines() -> dict[str, str]:
        """Each unit's bar and number (the rows follow the similarity order)."""
        rows = {}
        for line in panel_lines(panel):
            found = re.search(r"u(\d+) +([█▏▎▍▌▋▊▉]+ +\S+)", line[panel.size.width // 2:])
            if found:
                rows[found.group(1)] = found.group(2)
        return rows

    async def body(pilot: Pilot) -> None:
        panel.show(start)
        clock.now += 5.0
        panel.show(first)  # a text update: the interval starts now
        await pilot.pause()
        before = bar_lines()
        assert len(before) == 8
        clock.now += 0.1
        panel.show(later)  # within the interval: bars and numbers stay
        await pilot.pause()
        assert bar_lines() == before
        clock.now += 1.0
        panel.flush_text()  # the trailing update: both catch up together
        await pilot.pause()
        after = bar_lines()
        assert after != before
        for unit in range(8):
            assert after[str(unit + 1)].endswith(format_compact(float(later.grad_norms[unit]),
                                                                2))

    run(panel, body, size=(100, 24))


def test_gradient_matrix_holds_between_updates_but_a_gap_opening_shows_at_once():
    clock = FakeClock()
    panel = GradientPanel(text_interval=1.0, clock=clock)
    copies = snapshot(300, init="symmetric", epsilon=0.0)
    parted = snapshot(300, init="symmetric")  # epsilon: every gap tiny but not zero
    later = snapshot(400, init="symmetric")
    assert not np.any(copies.grad_gaps) and np.all(parted.grad_gaps[np.triu_indices(8, 1)])

    async def body(pilot: Pilot) -> None:
        panel.show(copies)
        await pilot.pause()
        assert panel_lines(panel)[-1].startswith("identical gradients: 28 of 28 pairs")
        clock.now += 0.1
        panel.show(parted)  # within the interval, yet the first gaps show now
        await pilot.pause()
        assert panel_lines(panel)[-1].startswith("identical gradients: 0 of 28 pairs")
        drawn = panel_lines(panel)
        clock.now += 0.1
        panel.show(later)  # gaps only grew: held until the next update
        await pilot.pause()
        assert panel_lines(panel) == drawn
        clock.now += 1.0
        panel.flush_text()
        await pilot.pause()
        assert panel_lines(panel) != drawn  # the update that was held

    run(panel, body, size=(100, 24))


def test_a_gallery_made_smaller_says_its_page_at_once():
    # A scene paused at its point brings no new snapshot; P or a smaller terminal then
    # leaves fewer tiles room.  The footer must say the page at once: units that no
    # longer fit are never cut off without a word.
    gallery = UnitsGallery()
    snap = snapshot(100, init="xavier", hidden=12, dataset="sine")

    async def body(pilot: Pilot) -> None:
        lines = await shown(pilot, gallery, snap)
        assert gallery.page == (1, 1) and "page" not in lines[-1]
        await pilot.resize_terminal(80, 14)
        # The resize reaches the gallery through the app's queue: on a busy machine it
        # may still be on its way when the old picture already counts as settled.
        await wait_until(pilot, lambda: gallery.size.width <= 80 and gallery.size.height <= 14)
        await settle(pilot, gallery)
        page, pages = gallery.page
        assert pages == 2
        assert gallery.rendered_lines()[-1].endswith(f"page {page}/{pages}")

    run(gallery, body, size=(120, 40))


def test_next_unit_walks_an_order_and_wraps_around() -> None:
    order = np.array([2, 0, 3, 1])
    assert next_unit(order, 2, 1) == 0 and next_unit(order, 0, 2) == 1
    assert next_unit(order, 1, 1) == 2  # past the end: the first again
    assert next_unit(order, 2, -1) == 1  # before the start: the last
    assert next_unit(order, 3, 9) == 1  # any distance
    assert next_unit(order, 7, 1) == 0  # not in the order: from its first place
    assert next_unit(np.array([], dtype=int), 4, 1) == 4  # nothing to walk


# -- the gallery's lines without mounting it ---------------------------------------------------


def _gallery_view(snap: Snapshot, selected: int, layout: GalleryLayout) -> GalleryView:
    page = tuple(int(unit) for unit in snap.order[: layout.per_page])
    return GalleryView(selected, page, layout, "full", (1, 1),
                       tuple(bool(d) for d in snap.dead))


def _frame(snap: Snapshot, view: GalleryView) -> PlaneFrame:
    maps = snap.unit_maps
    lo, hi = maps.activation_range  # tanh: bounded, no scale with a memory
    return plane_frame(maps, view.layout, list(view.page_units), False, lo, hi)


@pytest.mark.parametrize("seed", [1, 5])
def test_gallery_lines_without_mounting_are_what_each_strip_draws(seed: int):
    snap = snapshot(300, init="xavier", seed=seed)
    gallery = UnitsGallery(text_interval=0, byte_rate=0, color_mode="full")

    async def body(pilot: Pilot) -> None:
        gallery.show(snap)
        gallery.select(int(snap.order[2]))
        await settle(pilot, gallery)
        view = _gallery_view(snap, int(snap.order[2]), gallery._layout)
        assert view.page == gallery.page
        frame = _frame(snap, view)
        strips = [("legend", 0, gallery._legend), ("footer", 0, gallery._footer)]
        strips += [("column", i, column) for i, column in enumerate(gallery._columns)]
        for role, index, strip in strips:
            records = gallery_lines(snap, snap, frame, view, role, index, strip.size.width,
                                    strip.size.height)
            assert strip._keys == records, (role, index)  # the records are the cache keys

    run(gallery, body)


def test_the_gallery_labels_the_selected_tile_and_prints_the_printed_numbers():
    printed, shown = snapshot(100, init="xavier"), snapshot(600, init="xavier")
    layout = gallery_layout(120, 36, 8)
    unit = int(shown.order[1])
    view = _gallery_view(shown, unit, layout)
    frame = _frame(shown, view)
    labels = [line.part for index in range(layout.columns + 1)
              for line in gallery_lines(shown, printed, frame, view, "column", index, 100, 36)
              if isinstance(line.part, LabelPart)]
    assert sorted(label.name for label in labels) == sorted(unit_name(u) for u in range(8))
    assert [label.name for label in labels if label.selected] == [unit_name(unit)]
    [footer] = gallery_lines(shown, printed, frame, view, "footer", 0, 120, 1)
    assert footer.head == "▸" + unit_name(unit)
    weights = " ".join(format_fit(x, 7) for x in printed.params.W1[unit].tolist())
    assert footer.body.startswith(f"w {weights}  b ")
    assert footer.body != gallery_lines(shown, shown, frame, view, "footer", 0, 120, 1)[0].body
