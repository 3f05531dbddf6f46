"""Tests of the three data panels (weights, similarity, loss), each mounted alone.

Snapshots come from small seeded Trainers, so every rendering is deterministic.  Tests
read back what is drawn: heatmap lines through the Line API (``render_line(y)``), plots
through ``SafePlot.plain_text()``.  Throttles run on a fake clock and their trailing
updates on fake timers (``conftest.FakeTimers``): no test waits on the wall clock.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from typing import Any

import numpy as np
import pytest
from conftest import (
    RUNAWAY_RUNS,
    SMALL,
    FakeClock,
    FakeTimers,
    runaway,
    symmetric,
    unit_line,
    with_params,
    without_weights,
    xavier,
)
from conftest import panel_lines as lines
from conftest import (
    panel_text as screen_text,
)
from conftest import run_panels as run
from conftest import small_snapshot as snapshot
from rich.color import Color
from textual.pilot import Pilot

from tui_symmetry.app.numbers import format_compact, format_fit, format_fixed
from tui_symmetry.app.widgets import LossPanel, SimilarityPanel, WeightsPanel
from tui_symmetry.app.widgets._lines import records_text
from tui_symmetry.app.widgets._palette import (
    ANSI16_NEGATIVE,
    ANSI16_POSITIVE,
    DIVERGING_FULL,
    SEQUENTIAL_FULL,
    ColorMode,
    StableScale,
    detect_color_mode,
    nice_ceil,
    quantize_diverging,
    quantize_sequential,
)
from tui_symmetry.app.widgets.similarity import MatrixLine as SimMatrixLine
from tui_symmetry.app.widgets.similarity import (
    SimilarityView,
    display_grid,
    paint_similarity,
    similarity_lines,
)
from tui_symmetry.app.widgets.weights import (
    HalfRowLine,
    RowLine,
    SelectedLine,
    WeightsView,
    paint_weights,
    unit_vectors,
    weights_lines,
)
from tui_symmetry.core import metrics
from tui_symmetry.core.config import Config
from tui_symmetry.core.function_space import FunctionSpace, SpaceView
from tui_symmetry.core.network import Params
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.core.trainer import Trainer


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours."""

    def luminance(color: str) -> float:
        channels = []
        for c in Color.parse(color).get_truecolor():
            c /= 255
            channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
        r, g, b = channels
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# -- palette, scale and labels ----------------------------------------------------------------


def test_quantization_levels():
    values = np.array([-1.0, -0.5, -0.01, 0.0, 0.01, 0.5, 1.0, 3.0, np.nan])
    assert quantize_diverging(values, 1.0).tolist() == [0, 2, 4, 9, 4, 6, 8, 8, 4]
    S = np.array([-0.3, 0.0, 0.15, 0.2, 0.55, 0.95, 0.989, 0.99, 1.0])
    assert quantize_sequential(S).tolist() == [0, 0, 0, 1, 4, 8, 8, 9, 9]
    # The top level is exactly "the same unit" of the distinct-units count.
    threshold = metrics.SAME_UNIT_THRESHOLD
    assert quantize_sequential(np.array([np.nextafter(threshold, 0), threshold])).tolist() == [8, 9]


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


def test_compact_labels_for_huge_and_tiny_values():
    cases = {1e290: "1e290", 1e-4: "1e−4", 2.5e-5: "2.5e−5", 0.001: "0.001", 0.695: "0.695",
             100: "100", 12000: "12k", 1_500_000: "1.5M", 999_999: "1M", 3e9: "3e9",
             -3.2e12: "−3.2e12", 0: "0"}
    assert {value: format_compact(value) for value in cases} == cases


def test_numbers_fit_their_width():
    assert format_fit(0.046, 6) == "+0.046"
    assert format_fit(0.046, 5) == "+.046"  # the leading zero goes before a digit does
    assert format_fit(-0.439, 4) == "−.44"
    assert format_fit(12.34, 4) == "+12"
    assert format_fit(0.0, 4) == "0"
    assert all(len(format_fit(v, 4)) <= 4 for v in (1234.5, -0.00004, 3e7, -9.99))


def test_small_weights_stand_out_from_a_dark_background():
    # A projector washes out near-black: even the near-zero level keeps a visible
    # contrast with a near-black background, and neighbouring levels differ.
    for colour in DIVERGING_FULL:
        assert contrast(colour, "#121212") >= 2.5, colour
    for a, b in itertools.pairwise(DIVERGING_FULL):
        assert contrast(a, b) >= 1.3, (a, b)
    # What is drawn: a small weight's cell against the panel's own background.
    snap = xavier()
    p = snap.params
    W1 = p.W1.copy()
    W1[1] = [0.01, -0.01]  # tiny, but not exactly zero
    small = with_params(snap, Params(W1, p.b1.copy(), p.W2.copy(), p.b2.copy()))
    panel = WeightsPanel(text_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.show(small)
        await pilot.pause()
        y = next(y for y, line in enumerate(lines(panel)) if line.startswith(" u2 "))
        backgrounds = {seg.style.bgcolor.name for seg in panel.render_line(y)
                       if seg.style and seg.style.bgcolor and not seg.text.startswith(" u2")}
        panel_bg = panel.rich_style.bgcolor.name
        cells = backgrounds - {panel_bg}
        assert cells and all(contrast(c, panel_bg) >= 2.5 for c in cells)

    run(panel, body)


# -- weights panel --------------------------------------------------------------------------


def test_weights_rows_legend_and_selected_numbers():
    panel = WeightsPanel(text_interval=0)
    snap = xavier()

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        text = lines(panel)
        scale = nice_ceil(float(np.abs(np.column_stack([snap.params.W1, snap.params.b1,
                                                        snap.params.W2[0]])).max()))
        assert text[0].startswith(f"w −{scale:g} ") and f" +{scale:g}" in text[0]
        assert text[1].split() == ["x0", "x1", "b", "out"]
        for unit in range(8):
            unit_line(panel, unit)
        # The selected unit's values, in numbers, in its row and on the last line.
        w1 = snap.params.W1[0]
        assert f"{w1[0]:+.3f}" in unit_line(panel, 0)
        assert text[-1].startswith("▸u1")
        assert f"{w1[0]:+.3f}" in text[-1] and f"{snap.params.W2[0, 0]:+.3f}" in text[-1]

    run(panel, body, size=(80, 24))


def test_weights_selection_marks_its_row_and_its_numbers():
    panel = WeightsPanel(text_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.select(1)  # before any data: harmless
        panel.show(xavier())
        assert lines(panel)[-1].startswith("▸u1")
        panel.select(7)
        assert lines(panel)[-1].startswith("▸u8") and unit_line(panel, 7).startswith("▸")
        panel.select(0)
        assert lines(panel)[-1].startswith("▸u1")
        panel.select(19)  # past the last unit: the last one
        assert lines(panel)[-1].startswith("▸u8")
        assert sum("▸" in line for line in lines(panel)) == 2  # its row and the numbers

    run(panel, body)


def test_a_unit_with_no_weights_says_so_and_shows_its_bias():
    snap = without_weights(xavier(), unit=2, bias=0.37)
    p = snap.params
    W1 = p.W1.copy()
    W1[3, 0] = 0.0  # one exact zero in a live unit: a dot, not a dagger
    snap = with_params(snap, Params(W1, p.b1.copy(), p.W2.copy(), p.b2.copy()))
    assert snap.dead.tolist() == [False, False, True] + [False] * 5
    weights = WeightsPanel(text_interval=0)
    similarity = SimilarityPanel(text_interval=0)

    async def body(pilot: Pilot) -> None:
        weights.show(snap)
        similarity.show(snap)
        await pilot.pause()
        row = unit_line(weights, 2)
        assert row.startswith(" u3†") and row.count("·") == 3  # x0, x1 and out are 0
        assert "u4†" not in screen_text(weights)
        assert "† no weights" in lines(weights)[0]  # the legend says what † means
        weights.select(2)
        bottom = lines(weights)[-1]
        assert bottom.startswith("▸u3") and "no weights" in bottom and "+0.370" in bottom
        assert "dead" not in screen_text(weights) and "all 0" not in bottom
        summary = screen_text(similarity)
        assert "1 with no weights" in summary and "dead" not in summary

    run((weights, similarity), body, size=(80, 30))


def test_a_unit_with_nothing_at_all_says_bias_0():
    snap = without_weights(xavier(), unit=5, bias=0.0)
    panel = WeightsPanel(text_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        panel.select(5)
        await pilot.pause()
        assert "no weights in or out, bias 0" in lines(panel)[-1]

    run(panel, body)


@pytest.mark.parametrize("size", [(36, 19), (80, 24)], ids=["app-80x24", "alone-80x24"])
def test_weights_many_units_keep_the_selection_in_view(size: tuple[int, int]):
    # 64 units do not fit 19 or 24 lines: the rows scroll with the selection.  (36×19 is
    # the Weights panel inside the app at 80×24.)
    panel = WeightsPanel(text_interval=0)
    snap = snapshot(5, init="xavier", hidden=64)

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        assert "of 64" in lines(panel)[0]
        panel.select(63)  # the last unit
        assert "▸u64" in screen_text(panel).split("\n", 1)[1]
        assert "-64 of 64" in lines(panel)[0]
        for unit in range(64):  # every unit on the way down, one step at a time
            panel.select(unit)
            text = lines(panel)
            rows = "\n".join(text[1:-1])
            assert f"▸u{unit + 1}" in rows, f"u{unit + 1} is not drawn:\n" + "\n".join(text)
            assert text[-1].startswith(f"▸u{unit + 1}")
            assert all(len(line) == panel.size.width for line in text)

    run(panel, body, size=size)


def test_weights_256_units_in_a_small_panel():
    panel = WeightsPanel(text_interval=0)
    snap = snapshot(5, init="xavier", hidden=256)

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        assert "u1-" in lines(panel)[0] and "of 256" in lines(panel)[0]
        panel.select(255)
        text = lines(panel)
        assert "-256 of 256" in text[0]
        assert text[-1].startswith("▸u256")
        assert "▸u256" in "\n".join(text[1:-1])

    run(panel, body, size=(40, 12))


@pytest.mark.parametrize("width", [27, 36, 40])
def test_weights_at_100x30_show_their_numbers_uncut(width: int):
    # At 100×30 the Weights panel is 27 to 40 columns wide (depending on the settings
    # column) and 12 lines high.
    panel = WeightsPanel(text_interval=0)
    snap = xavier()
    values = np.column_stack([snap.params.W1, snap.params.b1, snap.params.W2[0]])[0]

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        text = lines(panel)
        row = unit_line(panel, 0)
        bottom = text[-1]
        for line in (row, bottom):
            ascii_line = line.replace("−", "-")  # the real minus sign, for float()
            numbers = [float(n) for n in re.findall(r"[+-]?\d*\.\d+|[+-]\d+", ascii_line)]
            # Every value is printed, whole: what it reads agrees with the weight.
            assert len(numbers) == 4, line
            assert np.allclose(numbers, values, atol=0.051), line
        # Nothing runs into the right edge: a blank column is left after the text.
        assert len(bottom.rstrip()) < width
        legend = text[0]
        assert legend.startswith("w −") and legend.rstrip().endswith(
            ("+2", "+3", "+4", "+5", "+6", "+8", "= 0")
        )

    run(panel, body, size=(width, 12))


def test_weights_mono_and_ansi16_carry_the_value_in_glyphs():
    mono = WeightsPanel(color_mode="mono", text_interval=0)
    ansi = WeightsPanel(color_mode="ansi16", text_interval=0)
    snap = xavier()

    async def body(pilot: Pilot) -> None:
        mono.show(snap)
        ansi.show(snap)
        await pilot.pause()
        for panel in (mono, ansi):
            text = screen_text(panel)
            # Sign and shading carry the value when colour cannot.
            assert "-█" in text.splitlines()[0] and "+█" in text.splitlines()[0]
            assert any(glyph in text for glyph in ("-░", "+░", "-▒", "+▒", "-▓", "+▓"))
        # 16 colours: glyphs coloured by sign, in the standard palette's exact colours.
        by_sign: dict[str, set[str]] = {"-": set(), "+": set()}
        for y in range(ansi.size.height):
            for seg in ansi.render_line(y):
                if seg.text[:1] in by_sign and seg.text[1:2] in "░▒▓█" and seg.style.color:
                    by_sign[seg.text[0]].add(seg.style.color.name)
        assert by_sign == {"-": {ANSI16_NEGATIVE}, "+": {ANSI16_POSITIVE}}

    run((mono, ansi), body, size=(80, 40))


# -- the Weights panel's text without mounting it ---------------------------------------------


def _weights_view(shown: Snapshot, selected: int = 0, top: int = 0,
                  mode: ColorMode = "full") -> WeightsView:
    """The view state a panel that has shown only ``shown`` draws it in."""
    scale = StableScale().update(float(np.abs(unit_vectors(shown)).max()))
    return WeightsView(selected=selected, scroll_top=top, scale=scale, mode=mode)


@pytest.mark.parametrize("seed", [1, 5])
def test_weights_text_without_mounting_is_what_the_panel_draws(seed: int):
    snap = snapshot(1500, init="xavier", seed=seed)
    panel = WeightsPanel(text_interval=0, color_mode="full")
    records, top = weights_lines(snap, snap, _weights_view(snap, selected=2), 80, 24)
    text = records_text(records, paint_weights, "full")
    assert top == 0 and len(text) == 24 and text[-1].startswith("▸u3")

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        panel.select(2)
        await pilot.pause()
        assert [line.rstrip() for line in lines(panel)] == [line.rstrip() for line in text]

    run(panel, body)


def test_the_selected_row_prints_the_held_numbers_over_the_new_colours():
    # The numbers change at most every text interval, the colours with every snapshot:
    # the selected row shows the printed snapshot's values on the shown one's colours.
    printed, shown = snapshot(200, init="xavier"), snapshot(1500, init="xavier")
    records, _ = weights_lines(shown, printed, _weights_view(shown, selected=3), 100, 30)
    row = next(r for r in records if isinstance(r, RowLine) and r.unit == 3 and r.labelled)
    assert row.selected and row.numbers
    width = max(len(number) for number in row.numbers)
    assert row.numbers == tuple(format_fit(v, width) for v in unit_vectors(printed)[3])
    assert row.numbers != tuple(format_fit(v, width) for v in unit_vectors(shown)[3])
    scale = _weights_view(shown).scale
    assert row.levels == tuple(quantize_diverging(unit_vectors(shown), scale)[3].tolist())
    other = next(r for r in records if isinstance(r, RowLine) and r.unit == 4)
    assert not other.selected and other.numbers == ()
    bottom = records[-1]
    assert isinstance(bottom, SelectedLine) and bottom.unit == 3
    name, value = bottom.parts[-1]  # the bottom line's numbers are the printed ones too
    assert (name, value.strip()) == ("out ", format_fit(float(printed.params.W2[0, 3]), 7))


def test_half_rows_name_the_selected_unit_of_their_pair():
    # 64 units in the app's 36×19 Weights panel: two units per line in full colour.
    snap = snapshot(5, init="xavier", hidden=64)
    for selected in (0, 9, 10):
        records, top = weights_lines(snap, snap, _weights_view(snap, selected), 36, 19)
        halves = [r for r in records if isinstance(r, HalfRowLine)]
        assert halves and top == 0
        marked = [r for r in halves if r.selected]
        assert [r.label_unit for r in marked] == [selected]
        others = [r.label_unit for r in halves if not r.selected]
        assert all(unit % 2 == 0 for unit in others)  # the upper unit of each pair
        text = records_text(records, paint_weights, "full")
        assert sum(f"▸u{selected + 1} " in line for line in text) == 2  # row and numbers


def test_scrolling_keeps_the_selection_in_view_and_moves_as_little_as_it_can():
    snap = snapshot(5, init="xavier", hidden=64)
    records, top = weights_lines(snap, snap, _weights_view(snap, 63, 0, "mono"), 36, 19)
    text = records_text(records, paint_weights, "mono")
    assert top > 0 and f"u{top + 1}-64 of 64" in text[0]
    assert any(line.startswith("▸u64") for line in text[1:-1])
    # One unit up stays in the window; the first unit brings it back to the top.
    assert weights_lines(snap, snap, _weights_view(snap, 62, top, "mono"), 36, 19)[1] == top
    records, first = weights_lines(snap, snap, _weights_view(snap, 0, top, "mono"), 36, 19)
    assert first == 0 and "u1-" in records_text(records, paint_weights, "mono")[0]


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


# -- the Similarity panel's text without mounting it -------------------------------------------


def _similarity_view(selected: int | None = None, space: str = "weights",
                     mode: ColorMode = "full") -> SimilarityView:
    return SimilarityView(selected=selected, by_similarity=True, space=space, mode=mode)


@pytest.mark.parametrize("seed", [1, 5])
def test_similarity_text_without_mounting_is_what_the_panel_draws(seed: int):
    snap = snapshot(1500, init="xavier", seed=seed)
    panel = SimilarityPanel(text_interval=0, color_mode="full")
    records = similarity_lines(snap, snap, SpaceView.of_weights, _similarity_view(2), 80, 24)
    text = records_text(records, paint_similarity, "full")
    assert len(text) == 24 and any(line.startswith("▸u3") for line in text)

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        panel.select(2)
        await pilot.pause()
        assert [line.rstrip() for line in lines(panel)] == [line.rstrip() for line in text]

    run(panel, body)


def test_similarity_numbers_come_from_the_printed_snapshot_the_matrix_from_the_shown():
    printed, shown = symmetric(), xavier()
    records = similarity_lines(shown, printed, SpaceView.of_weights, _similarity_view(),
                               60, 30)
    text = records_text(records, paint_similarity, "full")
    assert "distinct units 1 / 8" in "\n".join(text)  # the copies: the printed numbers
    assert f"distinct units {shown.distinct_units} / 8" not in "\n".join(text)
    order = np.asarray(shown.order)
    grid = display_grid(shown, SpaceView.of_weights(shown), order, 1)
    tops = {r.top for r in records if isinstance(r, SimMatrixLine)}
    assert tops == {tuple(row) for row in grid.tolist()}  # every row of the shown matrix
    assert grid.min() < grid.max()  # the shown units differ: not the copies' matrix


def test_function_space_is_named_and_measured_in_what_units_compute():
    snap = xavier()
    space = FunctionSpace().of(snap)
    records = similarity_lines(snap, snap, lambda s: space,
                               _similarity_view(space="function", mode="mono"), 60, 30)
    text = records_text(records, paint_similarity, "mono")
    assert text[0].startswith("corr ≤0 ")
    assert f"function symmetry {format_fixed(space.symmetry_index, 3)}" in text
    assert any(f"distinct units {space.distinct_units} / 8" in line for line in text)


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
        assert "no weights" not in text
        legend = lines(panel)[0]
        assert legend.startswith("|cos| 0 ") and " 1" in legend and "≥.99 = same" in legend
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
        before = [panel.render_line(y) for y in range(panel.size.height)]
        labels = [line.split()[0] for line in lines(panel) if line.startswith("u")]
        assert labels == [f"u{i + 1}" for i in snap.order]
        assert "sim. order" in lines(panel)[0]
        panel.toggle_order()
        labels = [line.split()[0] for line in lines(panel) if line.startswith("u")]
        assert labels == [f"u{i + 1}" for i in range(8)]
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
    snap = snapshot(5, init="xavier", hidden=256)

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        text = lines(panel)
        assert all(len(line) == panel.size.width for line in text)
        assert text[-1].startswith(f"distinct units {snap.distinct_units} / 256")
        assert sum("▀" in line for line in text) >= 6  # the matrix, averaged

    run(panel, body, size=(38, 10))


@pytest.mark.parametrize("width", [27, 36])
def test_similarity_summary_is_never_cut(width: int):
    # At 100×30 the Similarity panel is 27 to 40 columns wide: "(chance 0.4" was cut.
    panel = SimilarityPanel(text_interval=0)
    snap = without_weights(xavier(), unit=1, bias=0.5)

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        text = lines(panel)
        summary = [line.rstrip() for line in text if line.startswith(("sym", "distinct"))]
        assert len(summary) == 2
        assert all(len(line) <= width for line in summary)
        assert f"chance {snap.chance_level:.2f}" in summary[0]
        assert summary[0].count("(") == summary[0].count(")")
        assert summary[1].startswith(f"distinct {snap.distinct_units}/8")
        assert "1 " in summary[1][len("distinct 1/8"):]  # the unit with no weights

    run(panel, body, size=(width, 12))


def test_similarity_mono_and_ansi16_shade_cells_and_label_rows():
    mono = SimilarityPanel(color_mode="mono", text_interval=0)
    ansi = SimilarityPanel(color_mode="ansi16", text_interval=0)
    snap = xavier()

    async def body(pilot: Pilot) -> None:
        mono.show(snap)
        ansi.show(snap)
        await pilot.pause()
        for panel in (mono, ansi):
            rows = [line for line in lines(panel) if line.startswith("u")]
            assert [row.split()[0] for row in rows] == [f"u{i + 1}" for i in snap.order]
            # The diagonal (a unit with itself) is the densest shade, in each row.
            assert all("██" in row for row in rows)
            assert lines(panel)[0].startswith("|cos| 0 ")
        # With 16 colours the glyphs are coloured too: more than one colour is used.
        colours = {seg.style.color.name for y in range(ansi.size.height)
                   for seg in ansi.render_line(y)
                   if seg.style and seg.style.color and set(seg.text) & set("░▒▓█")}
        assert len(colours) >= 2

    run((mono, ansi), body, size=(80, 40))


# -- throttles on a fake clock ------------------------------------------------------------------


def test_printed_numbers_are_throttled_but_catch_up():
    clock = FakeClock()
    timers = FakeTimers(clock)
    panel = WeightsPanel(text_interval=0.2, clock=clock, schedule=timers.schedule)
    trainer = Trainer(Config(**SMALL, init="xavier"))
    trainer.step(50)

    def shows(snap: Snapshot) -> bool:
        return f"{snap.params.W1[0, 0]:+.3f}" in lines(panel)[-1]

    async def body(pilot: Pilot) -> None:
        first = trainer.snapshot()
        panel.show(first)
        assert shows(first)
        trainer.step(200)
        second = trainer.snapshot()
        assert not shows(second)
        clock.advance(0.05)
        panel.show(second)
        assert shows(first)  # too soon: numbers held
        # The trailing update (one timer, 0.15 s away on this clock) brings them up to date.
        assert len(timers.waiting) == 1 and timers.fire_due() == 0
        clock.advance(0.1)
        panel.show(second)  # held again: still the one timer
        assert len(timers.waiting) == 1 and timers.fire_due() == 0 and shows(first)
        clock.advance(0.1)  # past the 0.15 s (not at it: the clock is floating point)
        assert timers.fire_due() == 1
        assert shows(second)
        clock.advance(0.2)
        # Once the interval has passed on the clock, a new snapshot shows at once.
        trainer.step(100)
        third = trainer.snapshot()
        panel.show(third)
        assert shows(third)
        # ... and a held one can be flushed without waiting for the timer.
        clock.advance(0.01)
        trainer.step(100)
        fourth = trainer.snapshot()
        panel.show(fourth)
        assert shows(third)
        panel.flush_text()
        assert shows(fourth)

    run(panel, body)


def test_default_number_throttle_is_off_in_headless_apps():
    clock = FakeClock()
    panel = WeightsPanel(clock=clock)  # text_interval=None: automatic
    trainer = Trainer(Config(**SMALL, init="xavier"))

    async def body(pilot: Pilot) -> None:
        panel.show(trainer.snapshot())
        trainer.step(100)
        last = trainer.snapshot()
        panel.show(last)  # no time has passed on the clock
        assert f"{last.params.W1[0, 0]:+.3f}" in lines(panel)[-1]

    run(panel, body)


def test_loss_redraws_are_throttled_with_a_trailing_draw():
    clock = FakeClock()
    timers = FakeTimers(clock)
    panel = LossPanel(min_interval=0.25, clock=clock, schedule=timers.schedule)
    reference = LossPanel(min_interval=0)  # draws every snapshot at once
    trainer = Trainer(Config(**SMALL, init="xavier"))

    async def body(pilot: Pilot) -> None:
        panel.show(trainer.snapshot())
        await pilot.pause()
        first = panel.loss_plot.plain_text()
        assert "train" in first
        for _ in range(5):  # a burst of snapshots at "20 Hz"
            clock.advance(0.01)
            trainer.step(200)
            panel.show(trainer.snapshot())
            assert panel.loss_plot.plain_text() == first
        newest = trainer.snapshot()
        reference.show(newest)
        wanted = reference.loss_plot.plain_text()
        assert wanted != first
        # The trailing draw (one timer, 0.2 s away on this clock) shows the newest one.
        assert len(timers.waiting) == 1 and timers.fire_due() == 0
        clock.advance(0.25)
        assert timers.fire_due() == 1
        assert panel.loss_plot.plain_text() == wanted
        draws = panel.draws
        clock.advance(1.0)
        panel.show(newest)  # nothing new: nothing drawn
        assert panel.draws == draws

    run((panel, reference), body, size=(120, 40))


# -- loss panel ---------------------------------------------------------------------------------


def test_loss_plots_train_test_and_symmetry():
    panel = LossPanel(min_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.show(xavier())
        await pilot.pause()
        loss = panel.loss_plot.plain_text()
        assert "loss (linear)" in loss and "train" in loss and "test" in loss
        sym = panel.symmetry_plot.plain_text()
        assert "symmetry" in sym and "chance" in sym
        assert "600" in loss and "1.2k" in loss  # whole-number step ticks, not 7.5
        assert "clipped" not in loss  # a run that learns needs no clipping

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
        await pilot.pause()
        logged = panel.loss_plot.plain_text()
        assert "loss (log)" in logged and logged != linear
        panel.toggle_log_scale()
        await pilot.pause()
        assert panel.loss_plot.plain_text() == linear

    run(panel, body, size=(120, 20))


def test_loss_with_a_single_point():
    panel = LossPanel(min_interval=0)
    snap = snapshot(0, init="xavier")
    assert len(snap.history["step"]) == 1

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        panel.toggle_log_scale()
        await pilot.pause()
        text = panel.loss_plot.plain_text()
        assert "loss (log)" in text
        assert "-1.00" not in text and "0.50" not in text  # no fractional steps
        assert text.splitlines()[-1].strip() == "0"  # the one step there is

    run(panel, body)


def test_small_loss_panel_combines_both_curves_without_stray_marks():
    panel = LossPanel(min_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.show(xavier())
        await pilot.pause()
        assert panel.arrangement == "combined"
        text = panel.loss_plot.plain_text()
        assert "train" in text and "sym" in text
        # The legend, above the frame, holds marks and names, not plotext's axis-side
        # letters.
        lines = text.splitlines()
        top = next(i for i, line in enumerate(lines) if "┌" in line)
        legend = next(line for line in lines[:top] if " train" in line)
        marks = legend
        for title in panel.loss_plot.titles:
            marks = marks.replace(title, "")
        for name in ("test", "train", "sym"):
            assert f" {name}" in legend, legend
            marks = marks.replace(f" {name}", "")
        assert set(marks.strip()) <= set("⢕•╌ ") and "L" not in marks, legend
        # The right-hand axis is labelled 0..1 (its legend headroom is not a tick).
        assert "1.30" not in text and "0.5" in text

    run(panel, body, size=(58, 12))


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


def test_the_step_at_which_units_split_is_marked():
    panel = LossPanel(min_interval=0)
    snap = snapshot(2500, init="symmetric")  # epsilon 1e-4: alike, then apart
    assert snap.splits and 0 < snap.splits[0][0] < 2500

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        assert f"split at {snap.splits[0][0]:,}" in panel.symmetry_plot.plain_text()

    run(panel, body, size=(120, 20))


TICK_LABEL = re.compile(r"^\s*(≥?[-+]?[\d.]+(e-?\d+|k|M)?)\s*┤", re.MULTILINE)


def curve_rows(plot_text: str) -> int:
    """How many lines of the plot area hold part of a curve (braille dots)."""
    rows = 0
    for line in plot_text.splitlines():
        frame = re.search("[│┤]", line)
        if frame and " test" not in line and " train" not in line:  # not the legend
            rows += any("⠁" <= ch <= "⣿" for ch in line[frame.end():])
    return rows


@pytest.mark.parametrize("name", list(RUNAWAY_RUNS))
@pytest.mark.parametrize("log", [False, True], ids=["linear", "log"])
@pytest.mark.parametrize("size", [(100, 14), (58, 12)], ids=["wide", "app-100x30"])
def test_a_loss_that_ran_away_keeps_axes_and_its_last_finite_curve(
    name: str, log: bool, size: tuple[int, int]
):
    snap = runaway(name)
    panel = LossPanel(min_interval=0, log_scale=log)

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        text = panel.loss_plot.plain_text()
        # The note: the loss ran away, and when.
        assert f"ran away at step {snap.step:,}" in text, text
        # The axes and their ticks are drawn ...
        assert "┌" in text and "└" in text and "┬" in text
        labels = [m.group(1) for m in TICK_LABEL.finditer(text)]
        assert len(labels) >= 2, text
        # ... with labels like 1e290, never 1e+290M, and within reach of the start.
        assert all("e+" not in label and not re.search(r"e\d+[kM]", label) for label in labels)
        top = float(labels[0].lstrip("≥").replace("k", "e3").replace("M", "e6"))
        assert top <= 10.0 ** (4 if log else 1) * 10, labels
        # The curve is not flattened into the axis by the huge values: it climbs
        # through several lines of the plot.
        assert curve_rows(text) >= 4, text

    run(panel, body, size=size)


def test_one_spike_is_clipped_and_the_title_says_so():
    snap = xavier()
    loss = np.array(snap.history["loss"], dtype=float)
    loss[len(loss) // 2] = 1e12  # one wild value in a run that otherwise learns
    spiky = dataclasses.replace(snap, history={**snap.history, "loss": loss})
    panel = LossPanel(min_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.show(spiky)
        await pilot.pause()
        text = panel.loss_plot.plain_text()
        assert "clipped above" in text and "ran away" not in text
        assert "≥" in text  # the top tick says values go beyond it
        assert curve_rows(text) >= 4, text

    run(panel, body, size=(100, 16))


def legend_marks(text: str, names: tuple[str, ...]) -> dict[str, str]:
    """The mark drawn before each curve's name in a plot's legend line."""
    found = {}
    for name in names:
        match = re.search(rf"(\S+) {name}\b", text.split("┌", 1)[0])
        assert match, (name, text)
        found[name] = match.group(1)
    return found


@pytest.mark.parametrize("mode", ["ansi16", "mono"])
def test_without_full_colour_the_curves_differ_in_their_marks(mode: str):
    panel = LossPanel(min_interval=0, color_mode=mode)
    snap = snapshot(2500, init="symmetric")

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        loss = panel.loss_plot.plain_text()
        marks = legend_marks(loss, ("test", "train"))
        assert "•" in marks["test"] and "•" not in marks["train"]
        assert "•" in loss.split("┌", 1)[1]  # test dots in the plot
        sym = panel.symmetry_plot.plain_text()
        marks = legend_marks(sym, ("chance", "symmetry"))
        assert "╌" in marks["chance"] and "╌" not in marks["symmetry"]
        assert "╌╌╌" in sym.split("┌", 1)[1]  # the chance level: a dashed line

    run(panel, body, size=(120, 24))


# -- sizes --------------------------------------------------------------------------------------


def test_resizing_down_to_nothing_and_back_never_crashes():
    weights = WeightsPanel(text_interval=0)
    similarity = SimilarityPanel(text_interval=0)
    loss = LossPanel(min_interval=0)
    panels = (weights, similarity, loss)
    snaps = [xavier(), symmetric(), snapshot(5, init="xavier", hidden=256),
             runaway("sine lr 50")]

    async def body(pilot: Pilot) -> None:
        for size in ((20, 8), (1, 1), (3, 2), (200, 60), (20, 8), (120, 40)):
            await pilot.resize_terminal(*size)
            for snap in snaps:
                for panel in panels:
                    panel.show(snap)
                weights.select(int(snap.params.b1.shape[0]) - 3)
                similarity.toggle_order()
                loss.toggle_log_scale()
                await pilot.pause()
        assert "symmetry" in screen_text(similarity)
        assert "w −" in lines(weights)[0]
        assert "ran away" in loss.loss_plot.plain_text()

    run(panels, body, size=(80, 24))


def test_panels_shown_before_mounting_and_across_theme_changes():
    weights = WeightsPanel(text_interval=0)
    similarity = SimilarityPanel(text_interval=0)
    loss = LossPanel(min_interval=0)
    snap = xavier()
    for panel in (weights, similarity, loss):
        panel.show(snap)  # not mounted yet: kept for later

    async def body(pilot: Pilot) -> None:
        assert "w −" in lines(weights)[0]
        assert "symmetry" in screen_text(similarity)
        assert "train" in loss.loss_plot.plain_text()
        before = weights.render_line(0)
        pilot.app.theme = "textual-light"
        await pilot.pause()
        assert weights.render_line(0) != before  # restyled for the new background
        assert "w −" in lines(weights)[0]

    run((weights, similarity, loss), body, size=(80, 40))


# -- caching: a converged picture costs nothing ------------------------------------------------


def test_identical_snapshots_rebuild_no_strips():
    weights = WeightsPanel(text_interval=0)
    similarity = SimilarityPanel(text_interval=0)
    trainer = Trainer(Config(**SMALL, init="symmetric", epsilon=0.0))
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


def test_plots_read_from_the_matrix_equal_plotexts_ansi_picture():
    """matrix_strips draws what plotext's ANSI text, parsed by Rich, would draw."""
    from rich.segment import Segment
    from rich.text import Text
    from textual.strip import Strip

    panel = LossPanel(min_interval=0)

    def cells(strips: list[Strip]) -> list[list[tuple[str, Any]]]:
        return [[(char, segment.style) for segment in strip for char in segment.text]
                for strip in strips]

    async def body(pilot: Pilot) -> None:
        for snap in (snapshot(0), snapshot(400, init="symmetric"), xavier()):
            panel.show(snap)
            await pilot.pause()
            for plot in (panel.loss_plot, panel.symmetry_plot):
                width, height = plot.size.width, plot.size.height
                drawn = cells(plot._strips)
                # At the size the plot was drawn (the lines under its title and legend):
                # plotext's own ANSI text, as PlotextPlot.render reads it.
                text = Text.from_ansi(plot.plt.build())
                base = plot.rich_style
                via_ansi = [
                    Strip(list(Segment.apply_style(line.render(pilot.app.console), base)))
                    .adjust_cell_length(width, base)
                    for line in text.split("\n", allow_blank=True)[:height]]
                assert any(char not in " " for row in drawn for char, _ in row)
                # The plot starts at its frame, under the title and legend lines.
                top = next(y for y, row in enumerate(drawn)
                           if "┌" in "".join(char for char, _ in row))
                assert drawn[top:] == cells(via_ansi)[: height - top]

    run(panel, body, size=(100, 16))


def test_a_hidden_plot_keeps_its_lines_for_when_it_is_shown_again():
    """Hiding gives a panel zero size; shown again at its old size it draws the cached
    lines at once (no blank frame, no rebuild) and only then catches up."""
    panel = LossPanel(min_interval=0)
    snap = xavier()

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        plot = panel.loss_plot
        before = plot.plain_text()
        repainted = plot.lines_repainted
        panel.display = False
        await pilot.pause()
        panel.show(dataclasses.replace(snap, version=snap.version + 1, step=snap.step + 1))
        await pilot.pause()
        assert plot.plain_text() == before  # hidden: nothing drawn, nothing emptied
        panel.display = True
        await pilot.pause()
        assert plot.lines_repainted == repainted
        assert plot.render_line(0).text == before.splitlines()[0]

    run(panel, body, size=(100, 16))


def test_a_hidden_heatmap_keeps_its_lines():
    """As the app hides a view: its container goes, the panel inside gets zero size; a
    timer that fires meanwhile must not empty its cache."""
    from textual.containers import Container

    panel = WeightsPanel()
    box = Container(panel)
    snap = xavier()

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        built = panel.strips_built
        drawn = lines(panel)
        box.display = False
        await pilot.pause()
        assert panel.size.area == 0
        panel._redraw()  # what its timers and the theme signal call, firing meanwhile
        box.display = True
        await pilot.pause()
        assert panel.strips_built == built
        assert lines(panel) == drawn

    run(box, body, size=(100, 16))
