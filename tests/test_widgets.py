"""Tests of the three data panels (weights, similarity, loss), each mounted alone.

Snapshots come from small seeded Trainers, so every rendering is deterministic; the
throttles (loss-plot redraws, printed numbers) are switched off unless a test is about
them.  Rendered text is read back through the Line API (``render_line(y).text``).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widget import Widget

from tui_symmetry.app.widgets import LossPanel, SimilarityPanel, WeightsPanel
from tui_symmetry.app.widgets._palette import (
    DIVERGING_ANSI16,
    SEQUENTIAL_FULL,
    StableScale,
    detect_color_mode,
    nice_ceil,
    quantize_diverging,
    quantize_sequential,
)
from tui_symmetry.app.widgets.loss import split_step
from tui_symmetry.core import metrics
from tui_symmetry.core.config import Config
from tui_symmetry.core.network import Params
from tui_symmetry.core.trainer import Snapshot, Trainer

BASE = {"samples": 80, "hidden": 8, "seed": 1}
_CACHE: dict[tuple, Snapshot] = {}


def snapshot(steps: int = 0, **changes: Any) -> Snapshot:
    """A snapshot of a small seeded run after ``steps`` steps (cached per test session)."""
    key = (steps, tuple(sorted(changes.items())))
    if key not in _CACHE:
        trainer = Trainer(Config(**{**BASE, **changes}))
        trainer.step(steps)
        _CACHE[key] = trainer.snapshot()
    return _CACHE[key]


def symmetric(steps: int = 300) -> Snapshot:
    """Identical units (no epsilon): they stay identical, S is all ones."""
    return snapshot(steps, init="symmetric", epsilon=0.0)


def xavier(steps: int = 1500) -> Snapshot:
    """Independent units that end up computing different things."""
    return snapshot(steps, init="xavier")


def with_params(snap: Snapshot, params: Params, version: int = 10_000) -> Snapshot:
    """``snap`` with hand-made parameters and metrics that agree with them."""
    summary = metrics.summarize(params, snap.config.activation)
    return dataclasses.replace(
        snap,
        params=params,
        version=version,
        similarity=summary["similarity"],
        dead=summary["dead"],
        symmetry_index=summary["symmetry_index"],
        distinct_units=summary["distinct_units"],
        dead_units=summary["dead_units"],
        order=np.arange(len(params.b1)),
    )


class PanelApp(App[None]):
    """Mounts the given widgets one above the other."""

    CSS = "Screen { layout: vertical; }"

    def __init__(self, *widgets: Widget) -> None:
        super().__init__()
        self.widgets = widgets

    def compose(self) -> ComposeResult:
        yield from self.widgets


def run(
    widgets: tuple[Widget, ...] | Widget,
    body: Callable[[Pilot], Awaitable[None]],
    size: tuple[int, int] = (80, 24),
) -> None:
    widgets = widgets if isinstance(widgets, tuple) else (widgets,)

    async def main() -> None:
        app = PanelApp(*widgets)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await body(pilot)

    asyncio.run(main())


def lines(widget: Widget) -> list[str]:
    return [widget.render_line(y).text for y in range(widget.size.height)]


def screen_text(widget: Widget) -> str:
    return "\n".join(lines(widget))


# -- palette and scale ----------------------------------------------------------------------


def test_quantization_levels():
    values = np.array([-1.0, -0.5, -0.01, 0.0, 0.01, 0.5, 1.0, 3.0, np.nan])
    assert quantize_diverging(values, 1.0).tolist() == [0, 2, 4, 9, 4, 6, 8, 8, 4]
    S = np.array([-0.3, 0.0, 0.15, 0.2, 0.55, 0.95, 0.989, 0.99, 1.0])
    assert quantize_sequential(S).tolist() == [0, 0, 0, 1, 4, 8, 8, 9, 9]


def test_stable_scale_is_round_and_does_not_flicker():
    assert nice_ceil(0.37) == 0.4
    assert nice_ceil(5.2) == 6.0
    assert nice_ceil(8.01) == 10.0
    scale = StableScale()
    assert scale.update(1.7) == 2.0
    # Wobbling around inside the range changes nothing ...
    assert {scale.update(x) for x in (1.9, 1.2, 0.8, 1.99, 0.75)} == {2.0}
    # ... growing past it widens at once, a large drop shrinks it.
    assert scale.update(2.1) == 3.0
    assert scale.update(0.5) == 0.5


# -- weights panel --------------------------------------------------------------------------


def test_weights_rows_legend_and_selected_numbers():
    panel = WeightsPanel(text_interval=0)
    snap = xavier()

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        text = lines(panel)
        scale = panel.scale
        assert scale is not None and scale >= np.abs(snap.params.W1).max()
        assert text[0].startswith(f"w -{scale:g}") and f"+{scale:g}" in text[0]
        assert text[1].split() == ["x0", "x1", "b", "out"]
        for unit in range(8):
            assert any(line.lstrip(" ▸").startswith(f"u{unit} ") for line in text)
        # The selected unit's values, in numbers, on the last line.
        w1 = snap.params.W1[0]
        assert text[-1].startswith("▸u0")
        assert f"{w1[0]:+.3f}" in text[-1] and f"{snap.params.W2[0, 0]:+.3f}" in text[-1]

    run(panel, body, size=(80, 24))


def test_weights_selection_wraps():
    panel = WeightsPanel(text_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.select_unit(1)  # before any data: harmless
        assert panel.selected_unit == 0
        panel.show(xavier())
        panel.select_unit(-1)
        assert panel.selected_unit == 7
        assert lines(panel)[-1].startswith("▸u7")
        panel.select_unit(1)
        assert panel.selected_unit == 0
        panel.select_unit(19)
        assert panel.selected_unit == 3
        assert sum("▸" in line for line in lines(panel)) == 2  # its row and the numbers

    run(panel, body)


def test_dead_units_are_marked():
    snap = xavier()
    p = snap.params
    W1, W2 = p.W1.copy(), p.W2.copy()
    W1[2] = 0.0
    W2[0, 2] = 0.0
    W1[3, 0] = 0.0  # one exact zero in a live unit: a dot, not "dead"
    dead_snap = with_params(snap, Params(W1, p.b1.copy(), W2, p.b2.copy()))
    assert dead_snap.dead.tolist() == [False, False, True] + [False] * 5
    weights = WeightsPanel(text_interval=0)
    similarity = SimilarityPanel(text_interval=0)

    async def body(pilot: Pilot) -> None:
        weights.show(dead_snap)
        similarity.show(dead_snap)
        await pilot.pause()
        text = lines(weights)
        row = next(line for line in text if line.lstrip(" ▸").startswith("u2"))
        assert "u2†" in row and row.count("·") == 3  # x0, x1 and out are exact zeros
        assert "u3†" not in screen_text(weights)
        weights.select_unit(2)
        assert "dead" in lines(weights)[-1]
        assert "distinct units" in screen_text(similarity)
        assert "dead 1" in screen_text(similarity)

    run((weights, similarity), body, size=(80, 30))


def test_weights_many_units_scroll_with_the_selection():
    panel = WeightsPanel(text_interval=0)
    snap = snapshot(5, init="xavier", hidden=256)

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        assert "u0-" in lines(panel)[0] and "of 256" in lines(panel)[0]
        panel.select_unit(-1)
        text = lines(panel)
        assert "of 256" in text[0] and "-255 of 256" in text[0]
        assert text[-1].startswith("▸u255")
        assert all(len(line) == panel.size.width for line in text)

    run(panel, body, size=(40, 12))


def test_weights_mono_uses_glyphs_and_ansi16_uses_ansi_colours():
    mono = WeightsPanel(color_mode="mono", text_interval=0)
    ansi = WeightsPanel(color_mode="ansi16", text_interval=0)
    snap = xavier()

    async def body(pilot: Pilot) -> None:
        mono.show(snap)
        ansi.show(snap)
        await pilot.pause()
        text = screen_text(mono)
        # Sign and shading carry the value when there is no colour.
        assert "-█" in text.splitlines()[0] and "+█" in text.splitlines()[0]
        assert any(glyph in text for glyph in ("-░", "+░", "-▒", "+▒", "-▓", "+▓"))
        colours = {
            seg.style.bgcolor.name
            for y in range(ansi.size.height)
            for seg in ansi.render_line(y)
            if seg.style is not None and seg.style.bgcolor is not None
        }
        # Cells use only the 16-colour palette (exact RGB of the standard colours).
        colours.discard(ansi.rich_style.bgcolor.name)
        assert colours and colours <= set(DIVERGING_ANSI16)

    run((mono, ansi), body, size=(80, 30))


def test_no_color_env_selects_mono(monkeypatch: pytest.MonkeyPatch):
    panel = WeightsPanel()
    monkeypatch.setenv("NO_COLOR", "1")
    assert detect_color_mode(panel) == "mono"
    monkeypatch.delenv("NO_COLOR")
    assert detect_color_mode(panel) == "full"


# -- similarity panel -----------------------------------------------------------------------


def matrix_styles(panel: SimilarityPanel) -> set:
    return {
        (seg.style.color, seg.style.bgcolor)
        for y in range(panel.size.height)
        for seg in panel.render_line(y)
        if "▀" in seg.text
    }


def test_symmetric_init_similarity_is_all_ones():
    panel = SimilarityPanel(text_interval=0)
    snap = symmetric()
    assert snap.max_unit_gap == 0.0

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        text = screen_text(panel)
        assert "symmetry 1.000  (chance " in text
        assert "distinct units 1 / 8" in text
        assert "dead" not in text
        legend = lines(panel)[0]
        assert legend.startswith("|cos| 0 ") and " 1" in legend
        # Every cell is the top level: one style for the whole matrix.
        styles = matrix_styles(panel)
        assert len(styles) == 1
        (fg, bg), = styles
        assert fg.name == bg.name == SEQUENTIAL_FULL[-1]

    run(panel, body)


def test_xavier_after_training_shows_several_distinct_units():
    panel = SimilarityPanel(text_interval=0)
    snap = xavier()

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        text = screen_text(panel)
        assert f"distinct units {snap.distinct_units} / 8" in text
        assert snap.distinct_units > 1
        assert f"symmetry {snap.symmetry_index:.3f}" in text
        assert len(matrix_styles(panel)) > 3

    run(panel, body, size=(120, 40))


def test_order_toggle_changes_the_picture():
    panel = SimilarityPanel(text_interval=0)
    snap = xavier()
    assert snap.order.tolist() != list(range(8))

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        assert panel.by_similarity
        before = [panel.render_line(y) for y in range(panel.size.height)]
        labels = [line.split()[0] for line in lines(panel) if line.startswith("u")]
        assert labels == [f"u{i}" for i in snap.order]
        panel.toggle_order()
        assert not panel.by_similarity
        labels = [line.split()[0] for line in lines(panel) if line.startswith("u")]
        assert labels == [f"u{i}" for i in range(8)]
        assert [panel.render_line(y) for y in range(panel.size.height)] != before
        assert "unit order" in lines(panel)[0]

    run(panel, body, size=(120, 40))


def test_non_odd_activation_legend_says_negative_is_clipped():
    panel = SimilarityPanel(text_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.show(snapshot(200, init="xavier", activation="relu"))
        await pilot.pause()
        assert lines(panel)[0].startswith("cos ≤0 ")

    run(panel, body)


def test_similarity_many_units_is_averaged_to_fit():
    panel = SimilarityPanel(text_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.show(snapshot(5, init="xavier", hidden=256))
        await pilot.pause()
        text = lines(panel)
        assert all(len(line) == panel.size.width for line in text)
        assert "distinct units" in text[-1] or "distinct units" in "".join(text)

    run(panel, body, size=(38, 10))


# -- caching: a converged picture costs nothing ------------------------------------------------


def test_identical_snapshots_rebuild_no_strips():
    weights = WeightsPanel(text_interval=0)
    similarity = SimilarityPanel(text_interval=0)
    trainer = Trainer(Config(**BASE, init="symmetric", epsilon=0.0))
    trainer.step(2000)
    first = trainer.snapshot()
    trainer.step(1)
    second = trainer.snapshot()

    async def body(pilot: Pilot) -> None:
        for panel in (weights, similarity):
            panel.show(first)
        await pilot.pause()
        built = weights.strips_built, similarity.strips_built
        strips = list(weights._strips)
        # The same snapshot again: a no-op.
        weights.show(first)
        similarity.show(first)
        assert (weights.strips_built, similarity.strips_built) == built
        # One more step: the quantized colours are unchanged, so the heatmap rows are
        # not rebuilt; only the selected unit's printed numbers may move.
        weights.show(second)
        similarity.show(second)
        assert similarity.strips_built == built[1]
        assert weights.strips_built - built[0] <= 2
        unchanged = [a is b for a, b in zip(strips, weights._strips, strict=True)]
        assert sum(unchanged) >= len(strips) - 2

    run((weights, similarity), body, size=(80, 30))


def test_printed_numbers_are_throttled_but_catch_up():
    panel = WeightsPanel(text_interval=0.2)
    trainer = Trainer(Config(**BASE, init="xavier"))
    trainer.step(50)

    async def body(pilot: Pilot) -> None:
        panel.show(trainer.snapshot())
        first_line = lines(panel)[-1]
        trainer.step(200)
        last = trainer.snapshot()
        panel.show(last)
        assert lines(panel)[-1] == first_line  # too soon: numbers held
        await pilot.pause(0.3)
        assert f"{last.params.W1[0, 0]:+.3f}" in lines(panel)[-1]

    run(panel, body)


# -- loss panel ---------------------------------------------------------------------------------


def test_loss_plots_train_test_and_symmetry():
    panel = LossPanel(min_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.show(xavier())
        await pilot.pause()
        assert panel.arrangement == "side"
        loss = panel.loss_plot.plain_text()
        assert "loss (linear)" in loss and "train" in loss and "test" in loss
        sym = panel.symmetry_plot.plain_text()
        assert "symmetry" in sym and "chance" in sym
        assert "600" in loss and "1.2k" in loss  # whole-number step ticks, not 7.5

    run(panel, body, size=(120, 20))


def test_loss_log_toggle_and_no_test_split():
    panel = LossPanel(min_interval=0)
    snap = snapshot(500, init="xavier", test_fraction=0.0)
    assert np.isnan(snap.history["test_loss"]).all()

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        linear = panel.loss_plot.plain_text()
        assert "train" in linear and "test" not in linear
        panel.toggle_log_scale()
        assert panel.log_scale
        await pilot.pause()
        logged = panel.loss_plot.plain_text()
        assert "loss (log)" in logged and logged != linear
        panel.toggle_log_scale()
        assert not panel.log_scale

    run(panel, body, size=(120, 20))


def test_loss_with_a_single_point():
    panel = LossPanel(min_interval=0)
    snap = snapshot(0, init="xavier")
    assert len(snap.history["step"]) == 1

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        panel.toggle_log_scale()
        await pilot.pause()
        assert "loss" in panel.loss_plot.plain_text()

    run(panel, body)


def test_loss_redraws_are_throttled_with_a_trailing_draw():
    panel = LossPanel(min_interval=0.25)
    trainer = Trainer(Config(**BASE, init="xavier"))

    async def body(pilot: Pilot) -> None:
        panel.show(trainer.snapshot())
        assert panel.draws == 1
        for _ in range(5):  # a burst of snapshots at "20 Hz"
            trainer.step(10)
            panel.show(trainer.snapshot())
        assert panel.draws == 1
        await pilot.pause(0.4)
        assert panel.draws == 2  # the newest one, once
        panel.show(trainer.snapshot())  # nothing new: nothing drawn
        await pilot.pause(0.3)
        assert panel.draws == 2

    run(panel, body)


def test_small_loss_panel_combines_both_curves():
    panel = LossPanel(min_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.show(xavier())
        await pilot.pause()
        assert panel.arrangement == "combined"
        text = panel.loss_plot.plain_text()
        assert "train" in text and "sym" in text

    run(panel, body, size=(38, 8))


# -- sizes --------------------------------------------------------------------------------------


def test_resizing_down_to_nothing_and_back_never_crashes():
    weights = WeightsPanel(text_interval=0)
    similarity = SimilarityPanel(text_interval=0)
    loss = LossPanel(min_interval=0)
    panels = (weights, similarity, loss)
    snaps = [xavier(), symmetric(), snapshot(5, init="xavier", hidden=256)]

    async def body(pilot: Pilot) -> None:
        for size in ((20, 8), (1, 1), (3, 2), (200, 60), (20, 8), (120, 40)):
            await pilot.resize_terminal(*size)
            for snap in snaps:
                for panel in panels:
                    panel.show(snap)
                weights.select_unit(-3)
                similarity.toggle_order()
                loss.toggle_log_scale()
                await pilot.pause()
        assert "symmetry" in screen_text(similarity)
        assert "w -" in lines(weights)[0]
        assert loss.loss_plot.plain_text().strip()

    run(panels, body, size=(80, 24))


def test_unchanged_plot_lines_are_not_repainted():
    panel = LossPanel(min_interval=0)
    snap = xavier()

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        plots = (panel.loss_plot, panel.symmetry_plot)
        repainted = [plot.lines_repainted for plot in plots]
        draws = panel.draws
        # A new version with the same history: drawn again, but no line differs.
        panel.show(dataclasses.replace(snap, version=snap.version + 1))
        assert panel.draws == draws + 1
        assert [plot.lines_repainted for plot in plots] == repainted

    run(panel, body, size=(120, 20))


def test_similarity_mono_shades_cells_and_labels_rows():
    panel = SimilarityPanel(color_mode="mono", text_interval=0)
    snap = xavier()

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        rows = [line for line in lines(panel) if line.startswith("u")]
        assert [row.split()[0] for row in rows] == [f"u{i}" for i in snap.order]
        # The diagonal (a unit with itself) is the densest shade, in each row.
        assert all("██" in row for row in rows)
        assert lines(panel)[0].startswith("|cos| 0 ")

    run(panel, body, size=(80, 24))


def test_panels_shown_before_mounting_and_across_theme_changes():
    weights = WeightsPanel(text_interval=0)
    similarity = SimilarityPanel(text_interval=0)
    loss = LossPanel(min_interval=0)
    snap = xavier()
    for panel in (weights, similarity, loss):
        panel.show(snap)  # not mounted yet: kept for later

    async def body(pilot: Pilot) -> None:
        assert "w -" in lines(weights)[0]
        assert "symmetry" in screen_text(similarity)
        assert "train" in loss.loss_plot.plain_text()
        before = weights.render_line(0)
        built = weights.strips_built
        pilot.app.theme = "textual-light"
        await pilot.pause()
        assert weights.strips_built > built  # restyled for the new background
        assert weights.render_line(0) != before
        assert "w -" in lines(weights)[0]

    run((weights, similarity, loss), body, size=(80, 40))


def test_the_step_at_which_units_split_is_marked():
    assert split_step(np.array([0, 10, 20, 30]), np.array([1.0, 0.995, 0.9, 0.5])) == 20.0
    assert split_step(np.array([0, 10]), np.array([0.4, 0.3])) is None  # started split
    assert split_step(np.array([0, 10]), np.array([1.0, 1.0])) is None  # never split
    panel = LossPanel(min_interval=0)
    snap = snapshot(2500, init="symmetric")  # epsilon 1e-4: alike, then apart
    step = split_step(snap.history["step"], snap.history["symmetry_index"])
    assert step is not None and 0 < step < 2500

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        assert "split at" in panel.symmetry_plot.plain_text()

    run(panel, body, size=(120, 20))


def test_default_number_throttle_is_off_in_headless_apps():
    panel = WeightsPanel()  # text_interval=None: automatic
    trainer = Trainer(Config(**BASE, init="xavier"))

    async def body(pilot: Pilot) -> None:
        assert panel.effective_text_interval == 0.0  # tests must not depend on timing
        panel.show(trainer.snapshot())
        trainer.step(100)
        last = trainer.snapshot()
        panel.show(last)
        assert f"{last.params.W1[0, 0]:+.3f}" in lines(panel)[-1]

    run(panel, body)
    assert WeightsPanel().effective_text_interval == 0.25  # live: 4 updates a second
