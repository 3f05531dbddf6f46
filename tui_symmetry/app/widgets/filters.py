"""The Filters panel (view 6): a conv run's filters as pictures, each beside its
feature map on the chosen image, and that image with the network's answer.

Left, the chosen training image (``←``/``→`` choose it) under its number, its class and
the class the network gives it with its probability.  Right, one tile per filter in
``snapshot.order`` (alike filters side by side): a label (``f3 ‖v‖ .41``: the filter and
the length of its outgoing block), the kernel enlarged (3 × 3 at zoom 4, 12 × 6 cells:
readable from the back row; 5 × 5 at zoom 3) and beside it the filter's feature map
φ(z) on the image (6 × 6 at zoom 2).  Every kernel is drawn on one colour scale and
every map on another (core/pictures.py ``FilterPictures``), zero in the middle and exact
zeros marked, so identical filters are identical tiles.  When space is short the
pictures shrink (kernels to zoom 2, maps to zoom 1) before tiles go to pages; the page
shown is the one that holds the selected filter (``↑``/``↓``).

Records and painters as every panel: :func:`filter_lines` gives typed line records of
(snapshot, view state, size), :func:`paint_filters` draws one.  Pictures cost bytes at
every change, so the panel is handed only the snapshot whose numbers are printed (at
most twice a second) and spends at most ``byte_rate`` bytes a second on its pictures
(the units gallery's budget, app/widgets/_throttle.py), with a trailing update.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from rich.segment import Segment
from rich.style import Style

from tui_symmetry.app.numbers import filter_name, format_fit, format_scale
from tui_symmetry.app.widgets._lines import LinePanel, LineSpec, TextLine, live_default, paint_line
from tui_symmetry.app.widgets._palette import ColorMode, StyleCache, quantize_diverging
from tui_symmetry.app.widgets._pixels import (
    PixelLegend,
    PixelLine,
    paint_pixels,
    picture_size,
    pixel_lines,
)
from tui_symmetry.app.widgets._throttle import Schedule, Throttle
from tui_symmetry.app.widgets.units import BURST_SECONDS, DEFAULT_BYTE_RATE, wire_bytes
from tui_symmetry.core.pictures import FilterPictures, filters_of

if TYPE_CHECKING:
    from tui_symmetry.core.snapshot import Snapshot

MAX_KERNEL_COLUMNS = 15
"""A kernel picture is at most this wide: 3 × 3 at zoom 4 (12), 5 × 5 at zoom 3 (15)."""
MAX_KERNEL_ZOOM = 4
MAX_MAP_ZOOM = 2
"""A 6 × 6 map at zoom 2 is 12 × 6 cells, the height of a 3 × 3 kernel at zoom 4."""
MAX_IMAGE_ZOOM = 3
"""The chosen 8 × 8 image at most 24 × 12 cells."""
PAIR_GAP = 1
"""Columns between a kernel and its map."""
TILE_GAP = 2
"""Columns between two tiles (and between the image and the tiles)."""
MIN_TILE_WIDTH = 11
"""A tile is at least as wide as its label (``▸f16 ‖v‖ 1.2``)."""
IMAGE_TEXT_WIDTH = 17
"""The image column is at least as wide as its words (``image 1,438/1,438``)."""
IMAGE_TEXT_LINES = 3


@dataclass(frozen=True)
class FiltersLayout:
    """The zooms of the kernels, maps and image (0: the image is left out), the tiles'
    size (a label line over ``tile_lines``), and ``columns`` × ``rows`` of them."""

    kernel_zoom: int
    map_zoom: int
    image_zoom: int
    image_width: int
    tile_width: int
    tile_lines: int
    columns: int
    rows: int

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


def filters_layout(pictures: FilterPictures, width: int, body: int, mode: ColorMode
                   ) -> FiltersLayout:
    """The biggest pictures beside which every filter fits on one page (the image kept
    if it can be; then the kernels as big as they go: they are the point; then the
    image), else the smallest, in pages."""
    count = len(pictures.kernels)
    k, s = pictures.kernels.shape[1], pictures.maps.shape[1]
    most = max(1, min(MAX_KERNEL_ZOOM, MAX_KERNEL_COLUMNS // k))
    pairs = [(kz, mz) for kz in range(most, 0, -1) for mz in (MAX_MAP_ZOOM, 1) if mz <= kz]
    layout = None
    for image_zooms in ((MAX_IMAGE_ZOOM, 2, 1), (0,)):
        for kernel_zoom, map_zoom in pairs:
            for image_zoom in image_zooms:
                layout = _layout(pictures.image.shape, (k, k), (s, s), width, body, mode,
                                 (kernel_zoom, map_zoom, image_zoom))
                if layout.per_page >= count:
                    return layout
    assert layout is not None
    return layout


def _layout(image: tuple[int, int], kernel: tuple[int, int], fmap: tuple[int, int],
            width: int, body: int, mode: ColorMode, zooms: tuple[int, int, int]
            ) -> FiltersLayout:
    kernel_zoom, map_zoom, image_zoom = zooms
    image_width = 0
    if image_zoom:
        columns, lines = picture_size(image, image_zoom, mode)
        if lines + IMAGE_TEXT_LINES > body:
            return FiltersLayout(*zooms, 0, 0, 0, 0, 0)
        image_width = max(columns, IMAGE_TEXT_WIDTH) + TILE_GAP
    kernel_cols, kernel_lines = picture_size(kernel, kernel_zoom, mode)
    map_cols, map_lines = picture_size(fmap, map_zoom, mode)
    tile_width = max(MIN_TILE_WIDTH, kernel_cols + PAIR_GAP + map_cols)
    tile_lines = max(kernel_lines, map_lines)
    columns = max((width - image_width + TILE_GAP) // (tile_width + TILE_GAP), 0)
    rows = max(body // (tile_lines + 1), 0)
    return FiltersLayout(kernel_zoom, map_zoom, image_zoom, image_width, tile_width,
                         tile_lines, columns, rows)


# -- records -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TileLabel:
    """A tile's label line, ``▸`` before the selected filter's."""

    text: str
    selected: bool
    width: int


@dataclass(frozen=True)
class TilePictures:
    """A line of a tile: a line of its kernel and of its map (None below a picture)."""

    kernel: PixelLine | None
    kernel_width: int
    fmap: PixelLine | None
    width: int


@dataclass(frozen=True)
class FiltersLine:
    """A body line: the image column's part (a picture line, a text or nothing), then
    one part per tile column."""

    image: PixelLine | TextLine | None
    image_width: int
    tiles: tuple[TileLabel | TilePictures | None, ...]
    tile_width: int


@dataclass(frozen=True)
class FiltersLegend:
    """``kernel w −.5 ▇▇▇ +.5 · = 0`` (or the maps' scale)."""

    name: str
    legend: PixelLegend


FiltersRecord = FiltersLine | FiltersLegend | TextLine


@dataclass(frozen=True)
class FiltersView:
    """What the panel shows besides the snapshot: the view state."""

    selected: int
    by_similarity: bool
    mode: ColorMode


def filter_order(pictures: FilterPictures, order: np.ndarray, by_similarity: bool
                 ) -> np.ndarray:
    """The filters' order on screen: the similarity order, or filter order."""
    count = len(pictures.kernels)
    if by_similarity and len(order) == count:
        return np.asarray(order)
    return np.arange(count)


def filter_lines(pictures: FilterPictures | None, classes: Sequence[str], order: np.ndarray,
                 view: FiltersView, width: int, height: int) -> list[FiltersRecord]:
    """The panel's lines, top to bottom: the body (image and tiles), a page line when
    not every filter fits, and the two legends; ``order`` is the snapshot's similarity
    order, ``classes`` its class names."""
    if pictures is None:
        return [TextLine("filters are drawn for a conv net (--arch conv)", dim=True)]
    legends = 2 if height >= 6 else 0
    body = height - legends
    layout = filters_layout(pictures, width, body, view.mode)
    order = filter_order(pictures, order, view.by_similarity)
    count = len(order)
    paged = layout.per_page < count
    if paged:
        layout = filters_layout(pictures, width, body - 1, view.mode)
    if layout.per_page == 0:
        return [TextLine("too small for the filters: enlarge the terminal", dim=True)]
    position = int(np.flatnonzero(order == view.selected)[0]) if view.selected < count else 0
    page = position // layout.per_page
    shown = order[page * layout.per_page:(page + 1) * layout.per_page]
    image = _image_parts(pictures, classes, layout, view.mode)
    tiles = _tile_parts(pictures, shown, layout, view)
    lines: list[FiltersRecord] = []
    for y in range(max(len(image), len(tiles))):
        lines.append(FiltersLine(image[y] if y < len(image) else None, layout.image_width,
                                 tiles[y] if y < len(tiles) else (), layout.tile_width))
    lines.extend(FiltersLine(None, layout.image_width, (), layout.tile_width)
                 for _ in range(body - (1 if paged else 0) - len(lines)))
    if paged:
        pages = -(-count // layout.per_page)
        lines.append(TextLine(f"page {page + 1}/{pages}: ↑ ↓ walk the filters", dim=True))
    if legends:
        lines.append(FiltersLegend("kernel w", _legend(pictures.kernel_scale)))
        lines.append(FiltersLegend("map φ(z)", _legend(pictures.map_scale)))
    return lines


def _legend(scale: float) -> PixelLegend:
    scale = scale or 1.0
    return PixelLegend(f"−{format_scale(scale)}", f"+{format_scale(scale)}")


def _image_parts(pictures: FilterPictures, names: Sequence[str], layout: FiltersLayout,
                 mode: ColorMode) -> list[PixelLine | TextLine]:
    """The image column: its number, its class, the network's answer, the picture."""
    if not layout.image_zoom:
        return []
    label = names[pictures.label] if pictures.label < len(names) else str(pictures.label)
    guess = (names[pictures.predicted] if pictures.predicted < len(names)
             else str(pictures.predicted))
    sure = f"{100 * pictures.confidence:.0f} %"
    words: list[PixelLine | TextLine] = [
        TextLine(f"image {pictures.image_index + 1:,}/{pictures.images:,}", bold=True),
        TextLine(f"class {label}"),
        TextLine(f"net {guess} · {sure}", bold=guess != label)]
    scale = float(np.max(np.abs(pictures.image))) or 1.0
    levels = quantize_diverging(pictures.image, scale)
    return [*words, *pixel_lines(levels, layout.image_zoom, mode)]


def _tile_parts(pictures: FilterPictures, shown: np.ndarray, layout: FiltersLayout,
                view: FiltersView) -> list[tuple[TileLabel | TilePictures | None, ...]]:
    """The tiles' lines, row by row of tiles: a label line, then the picture lines."""
    kernels = {int(f): pixel_lines(quantize_diverging(pictures.kernels[f],
                                                      pictures.kernel_scale or 1.0),
                                   layout.kernel_zoom, view.mode) for f in shown}
    maps = {int(f): pixel_lines(quantize_diverging(pictures.maps[f], pictures.map_scale or 1.0),
                                layout.map_zoom, view.mode) for f in shown}
    kernel_width = layout.tile_width - (picture_size(pictures.maps.shape[1:], layout.map_zoom,
                                                     view.mode)[0] + PAIR_GAP)
    lines: list[tuple[TileLabel | TilePictures | None, ...]] = []
    for start in range(0, len(shown), layout.columns):
        row = [int(f) for f in shown[start:start + layout.columns]]
        lines.append(tuple(TileLabel(_label(pictures, f, layout.tile_width - 1),
                                     f == view.selected, layout.tile_width) for f in row))
        for y in range(layout.tile_lines):
            lines.append(tuple(
                TilePictures(kernels[f][y] if y < len(kernels[f]) else None, kernel_width,
                             maps[f][y] if y < len(maps[f]) else None, layout.tile_width)
                for f in row))
    return lines


def _label(pictures: FilterPictures, index: int, width: int) -> str:
    """``f3 ‖v‖ .41``: the filter and the length of its outgoing block."""
    name = filter_name(index)
    length = format_fit(float(pictures.outgoing[index]), 4).lstrip("+")
    wordings = (f"{name} ‖v‖ {length}", f"{name} {length}", name)
    return next((text for text in wordings if len(text) <= width), name[:width])


# -- painting ------------------------------------------------------------------------------


def paint_filters(line: FiltersRecord, styles: StyleCache) -> list[Segment]:
    """The segments of one of the panel's lines."""
    if isinstance(line, FiltersLegend):
        return [Segment(line.name + " ", styles.text(dim=True)),
                *paint_pixels(line.legend, styles)]
    if not isinstance(line, FiltersLine):
        return paint_line(line, styles)
    segments: list[Segment] = []
    if line.image_width:
        segments += _fit(_paint_part(line.image, styles), line.image_width, styles)
    for index, tile in enumerate(line.tiles):
        gap = TILE_GAP if index < len(line.tiles) - 1 else 0
        segments += _fit(_paint_tile(tile, styles), line.tile_width + gap, styles)
    return segments


def _paint_tile(tile: TileLabel | TilePictures | None, styles: StyleCache) -> list[Segment]:
    if tile is None:
        return []
    if isinstance(tile, TileLabel):
        mark = "▸" if tile.selected else " "
        return [Segment(mark + tile.text, styles.text(bold=tile.selected))]
    kernel = _fit(_paint_part(tile.kernel, styles), tile.kernel_width + PAIR_GAP, styles)
    return [*kernel, *_paint_part(tile.fmap, styles)]


def _paint_part(part: PixelLine | TextLine | None, styles: StyleCache) -> list[Segment]:
    if part is None:
        return []
    if isinstance(part, PixelLine):
        return list(_painted(part, styles, styles.mode, styles.base))
    return paint_line(part, styles)


PAINTED_PARTS = 1024
"""Picture lines kept painted: a frame holds a few dozen distinct ones."""


@functools.lru_cache(maxsize=PAINTED_PARTS)
def _painted(part: PixelLine, styles: StyleCache, mode: ColorMode, base: Style
             ) -> tuple[Segment, ...]:
    """A picture line's segments, painted once per distinct line: alike filters draw
    the same kernel and map lines side by side, and ← → repaint every line of the
    panel (the kernels' among them, unchanged).  ``mode`` and ``base`` are in the key
    because ``styles`` drops its styles when they change."""
    return tuple(paint_pixels(part, styles))


def _fit(segments: list[Segment], width: int, styles: StyleCache) -> list[Segment]:
    return list(Segment.adjust_line_length(segments, width, styles.text()))


# -- the panel -----------------------------------------------------------------------------


class FiltersPanel(LinePanel):
    """The filters of a conv run beside their maps on the chosen image (module doc).

    Args:
        color_mode: force ``"full"``, ``"ansi16"`` or ``"mono"``; ``None`` detects.
        by_similarity: tiles in similarity order (default) or filter order.
        byte_rate: bytes per second the pictures may cost; 0 draws every snapshot;
            None: the units gallery's budget in a terminal, 0 headless.
        clock, schedule: the budget's time and trailing update (tests inject fakes).
        name, id, classes, disabled: as for any Textual widget.
    """

    def __init__(self, *, color_mode: ColorMode | None = None, by_similarity: bool = True,
                 byte_rate: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 schedule: Schedule | None = None, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(color_mode=color_mode, clock=clock, schedule=schedule, name=name,
                         id=id, classes=classes)
        self._by_similarity = by_similarity
        self._selected = 0
        self._snapshot: Snapshot | None = None
        self._pictures: FilterPictures | None = None
        self._key: tuple | None = None
        self.byte_rate = byte_rate
        self.budget = Throttle.budget(lambda: self.effective_byte_rate, BURST_SECONDS, clock)
        self._spent = 0
        self.bytes_estimated = 0
        """Estimated bytes of every picture line this panel rebuilt (benchmarks read it)."""

    @property
    def effective_byte_rate(self) -> float:
        """The byte budget in force (0: unlimited)."""
        return live_default(self, self.byte_rate, DEFAULT_BYTE_RATE)

    @property
    def selected_unit(self) -> int:
        """The selected filter (0-based), as the other panels call it a unit."""
        return self._selected

    @property
    def by_similarity(self) -> bool:
        """True when filters are shown in similarity order."""
        return self._by_similarity

    def select(self, unit: int) -> None:
        """Select filter ``unit`` (0-based): its label is marked, its page shown."""
        self._selected = max(int(unit), 0)
        self._draw(charge=False)

    def toggle_order(self) -> None:
        """Switch between similarity order and filter order."""
        self._by_similarity = not self._by_similarity
        self._draw(charge=False)

    def show(self, snapshot: Snapshot) -> None:
        """Display ``snapshot`` when the byte budget allows (else a trailing update)."""
        key = (snapshot.version, snapshot.step, snapshot.config, snapshot.image_index)
        if key == self._key:
            return
        # A new run, or the maps of another image (the answer to ← →): drawn at once and
        # not charged, like a selection; a run's progress waits for the budget.
        restarted = (self._key is None or snapshot.config != self._key[2]
                     or snapshot.image_index != self._key[3])
        self._key = key
        self._snapshot = snapshot
        self._pictures = filters_of(snapshot)
        if restarted or self._budget_due():
            self._draw(charge=not restarted)

    def flush_pictures(self) -> None:
        """The budget's trailing update: draw the newest snapshot once it is affordable."""
        self.budget.cancel()
        if self._budget_due():
            self._draw(charge=True)

    def _budget_due(self) -> bool:
        if self.budget.due():
            self.budget.cancel()
            return True
        if self.is_attached:
            self.budget.hold(self.flush_pictures, self._schedule)
        return False

    def _draw(self, charge: bool) -> None:
        self._spent = 0
        self._redraw()
        self.bytes_estimated += self._spent
        if charge and self._spent:
            self.budget.spend(self._spent)

    def _layout_lines(self, width: int, height: int) -> Sequence[LineSpec]:
        snapshot = self._snapshot
        if snapshot is None:
            return [self._empty_spec()]
        view = FiltersView(self._selected, self._by_similarity, self._styles.mode)
        records = filter_lines(self._pictures, snapshot.classes, snapshot.order, view, width,
                               height)
        return [(record, self._counted(functools.partial(paint_filters, record, self._styles)))
                for record in records]

    def _counted(self, build: Callable[[], list[Segment]]) -> Callable[[], list[Segment]]:
        def counted() -> list[Segment]:
            segments = build()
            self._spent += wire_bytes(segments)
            return segments

        return counted
