"""The main screen: the panels, the settings, the view tabs, notices and the status line.

Views: at :data:`WIDE_SIZE` and up everything is on one screen (keys 1-6 zoom into
one view, 0 goes back).  Smaller terminals show one view at a time, switched with
1-6.  Below :data:`MIN_SIZE` a message asks for a bigger terminal.  The views:
weights (weights and similarity), loss, settings, units (the gallery of what each
unit computes, with the weights beside it when there is room), gradients and filters
(a conv net's kernels beside their feature maps on a chosen image, with the filters'
similarity beside them when there is room).

The panels are the rows of one table, :attr:`MainScreen.PANELS` (:class:`PanelSpec`):
it composes the screen, says which views show each panel, which print numbers through
the screen's gate and which follow the selection and ``o``.

``view`` (what the user asked for), ``wide`` and ``too_small`` (what the terminal
allows) are reactives; their watchers re-arrange the screen.  Arranging toggles
``display`` on a handful of containers and never changes a class on the screen: a
class change on the Screen makes Textual match the stylesheet against every widget
again (~300 of them: each Select is several), which took a view switch from a few ms
to ~300 ms.  Every panel stays mounted; a hidden one is simply not handed snapshots
until it is shown again.

One snapshot feeds every number drawn in a frame.  The pictures (heatmaps, tiles)
follow every snapshot; the numbers, on the status line, in the panels and in the loss
plot, change together at most every :data:`NUMBERS_INTERVAL` seconds, all from the
snapshot the screen calls :attr:`MainScreen.printed` (numbers repainted 20 times a
second would be most of the bytes sent; throttled panel by panel they disagreed).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.css.scalar import Scalar
from textual.events import Resize
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey  # not exported; Textual is pinned

from tui_symmetry.app.controller import RunController, RunState
from tui_symmetry.app.controls import NumberInput, SettingsPanel
from tui_symmetry.app.lecture import CaptionBox, CaptionPanel
from tui_symmetry.app.notices import NoticeLine
from tui_symmetry.app.screens import SizedScreen
from tui_symmetry.app.status import StatusBar, timeline_text
from tui_symmetry.app.timeline import Timeline
from tui_symmetry.app.widgets import LossPanel, SimilarityPanel, WeightsPanel
from tui_symmetry.app.widgets._lines import NumberGate
from tui_symmetry.app.widgets._throttle import Schedule, Throttle, timer_schedule
from tui_symmetry.app.widgets.confusion import ConfusionPanel, shows_confusion
from tui_symmetry.app.widgets.filters import FiltersPanel
from tui_symmetry.app.widgets.gradients import GradientPanel
from tui_symmetry.app.widgets.units import UnitsGallery, next_unit
from tui_symmetry.core.config import Config
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.scenarios import Scenario, scene_label
from tui_symmetry.settings import VIEWS, View

VIEW_TITLES: dict[View, str] = {"all": "All", "weights": "Weights", "loss": "Loss",
                                "settings": "Settings", "units": "Units",
                                "gradients": "Gradients", "filters": "Filters"}
VIEW_KEYS: dict[View, str] = {view: str(key) for key, view in enumerate(VIEWS)}

FILTER_SIMILARITY_WIDTH = 120
"""From this many columns up the filters view shows the filters' similarity beside them
(below it the filters take the width, their kernels enlarged: at 100×30 a
kernel at zoom 3; the weights view has the similarity)."""

SIDE_WEIGHTS_WIDTH = 110
"""From this many columns up the units view shows the Weights panel beside the gallery."""

MIN_SIZE = (60, 20)
"""Below this (columns, rows) the app asks for a bigger terminal."""

WIDE_SIZE = (100, 30)
"""From this size up every panel is on screen at once."""

NUMBERS_INTERVAL = 0.5
"""Least seconds between two changes of the numbers on screen (status line, panels,
loss plot: all at once, from one snapshot); a loss plot is many cells to resend."""

PRESENT_SHARES = ("2fr", "3fr")
"""Presenting the "all" view: the heights of the heatmaps and of the loss."""

SETTINGS_WIDTH = 38
"""Columns of the settings column beside the panels (the stylesheet's $settings-width)."""


class KeyFooter(Footer):
    """Textual's footer, with its keys in the first frame.

    Textual's footer draws nothing until the screen publishes its bindings, which it does
    after the first refresh: the keys arrived ~150 ms after the panels.  The screen's
    bindings are known when the footer is composed, so it composes them at once; the
    later publication recomposes it as usual (for the Esc of a setting being edited).
    """

    def __init__(self) -> None:
        super().__init__(compact=True)
        self.set_reactive(Footer._bindings_ready, True)
        self._composed: tuple[Any, ...] | None = None
        """What the keys on the footer were composed from (:meth:`_keys_source`)."""

    def compose(self) -> ComposeResult:
        self._composed = self._keys_source()
        for widget in super().compose():
            if isinstance(widget, FooterKey) and self.compact:
                # The class each key's ``compact`` watcher adds as it mounts: added
                # now, that watcher finds it there and the stylesheet is not applied to
                # the key a second time (~20 keys a compose).
                widget.add_class("-compact", update=False)
            yield widget

    def _keys_source(self) -> tuple[Any, ...]:
        """Everything Textual's ``Footer.compose`` reads: the screen's active bindings
        (each binding, whether enabled, its tooltip) and the footer's own options."""
        return (self.compact, self.show_command_palette,
                tuple(self.screen.active_bindings.items()))

    async def recompose(self) -> None:
        # The screen publishes its bindings after the first frame and at every change
        # of focus, each time asking for a recompose (remove and mount ~20 keys, the
        # stylesheet applied to each: ~0.03 s of CPU, 10 % of the app's start, three
        # times per start).  Keys composed from the same bindings are the same keys.
        if self._composed != self._keys_source():
            await super().recompose()
        self._fit_keys()

    def on_resize(self, event: Resize) -> None:
        self._fit_keys()

    def _fit_keys(self) -> None:
        """Show only the keys that fit whole beside the palette key, in their order.

        Textual's compact footer lets the last keys run under the palette key docked on
        the right, so at 80 columns "e Export" read "e Exp".  Each key takes its key,
        a space, its label and a margin of one column (the compact style).
        """
        keys = list(self.query_children(FooterKey))
        palette = [key for key in keys if key.has_class("-command-palette")]
        room = self.size.width - sum(1 + _key_width(key) for key in palette)  # its border
        for key in keys:
            if key in palette:
                continue
            room -= _key_width(key) + 1
            _display(key, room >= 0)


def _key_width(key: FooterKey) -> int:
    """Columns of a compact footer key: ``e Export``."""
    return len(key.key_display) + (1 + len(key.description) if key.description else 0)


def titled_box(title: str, panel: Widget, *, id: str) -> Container:
    """``panel`` in a bordered box (the stylesheet's ``.box``) with ``title`` on top."""
    box = Container(panel, id=id, classes="box")
    box.border_title = title
    return box


def fits(size: Size, minimum: tuple[int, int]) -> bool:
    """True when ``size`` is at least ``minimum`` (columns, rows) both ways."""
    return size.width >= minimum[0] and size.height >= minimum[1]


@dataclass(frozen=True)
class PanelSpec:
    """One panel of the main screen: a row of :attr:`MainScreen.PANELS`.

    ``widget(id=id, **options)`` is made once and stays mounted, in a bordered box
    ``box`` titled ``title``; panels that name the same ``row`` sit side by side in one
    container of that id, any other panel's box is a container of its own.  The
    container shows in ``views``; a box with a ``min_width`` only from that many
    columns, one with a ``when`` only for the runs whose snapshots it holds for.
    ``prints_numbers``: the panel is handed every snapshot and prints its
    numbers when the screen's gate opens (with the status line); otherwise it is
    handed only the snapshot whose numbers are printed (a plot redrawn whole, as the
    loss).  ``selects``: it highlights the selected unit (``select``, ``selected_unit``);
    ``orders``: ``o`` switches its units between unit and similarity order.
    """

    id: str
    widget: Callable[..., Widget]
    title: str
    box: str
    views: tuple[View, ...]
    row: str | None = None
    prints_numbers: bool = True
    selects: bool = False
    orders: bool = False
    min_width: int = 0
    options: tuple[tuple[str, Any], ...] = ()
    when: Callable[[Snapshot], bool] | None = None
    """The box shows only for the snapshots of which this holds (None: always)."""


def compose_areas(specs: tuple[PanelSpec, ...], panels: dict[str, Widget]
                  ) -> tuple[dict[str, Container], dict[str, Widget]]:
    """The panels' boxes by box id, and the views' containers (rows and lone boxes) by
    id, in the table's order (a row where its first panel is)."""
    boxes = {spec.box: titled_box(spec.title, panels[spec.id], id=spec.box)
             for spec in specs}
    areas: dict[str, Widget] = {}
    for spec in specs:
        if spec.row is None:
            areas[spec.box] = boxes[spec.box]
        elif spec.row not in areas:
            areas[spec.row] = Horizontal(*(boxes[other.box] for other in specs
                                           if other.row == spec.row), id=spec.row)
    return boxes, areas


class MainScreen(SizedScreen[None]):
    """Every panel, always mounted; ``view`` / ``wide`` / ``too_small`` pick what shows.

    Args:
        config: the run the settings panels start with.
        show_rate: show steps/s in the status line (off for deterministic pictures).
        numbers_interval: least seconds between two changes of the numbers on screen
            and of the loss plot (0 in tests: every snapshot's numbers are drawn).
        clock: monotonic seconds for that interval (tests pass a fake one).
        schedule: how the numbers' trailing update is scheduled (a Textual timer;
            tests put fake timers here, or in :attr:`schedule` later).
    """

    PANELS: ClassVar[tuple[PanelSpec, ...]] = (
        PanelSpec("weights", WeightsPanel, "Weights", "weights-box", ("all", "weights"),
                  row="units-view", selects=True),
        PanelSpec("similarity", SimilarityPanel, "Similarity", "similarity-box",
                  ("all", "weights"), row="units-view", selects=True, orders=True),
        # Two loss panels, one per layout: each keeps its size, so a view switch never
        # resizes a plot (a resize redraws it: plotext, 20-40 ms) and the frame that
        # answers the key draws cached lines.  The screen throttles their numbers.
        PanelSpec("loss", LossPanel, "Loss", "loss-box", ("all",), prints_numbers=False,
                  options=(("min_interval", 0),)),
        PanelSpec("loss-zoomed", LossPanel, "Loss", "loss-view", ("loss",), row="loss-row",
                  prints_numbers=False, options=(("min_interval", 0),)),
        # Beside the zoomed loss, for runs of three classes and more only.
        PanelSpec("confusion", ConfusionPanel, "Confusion", "confusion-box", ("loss",),
                  row="loss-row", prints_numbers=False, when=shows_confusion),
        PanelSpec("gallery", UnitsGallery, "Units", "gallery-box", ("units",),
                  row="gallery-view", selects=True, orders=True),
        # The units view's own Weights panel (as with the two loss panels, each layout
        # keeps its panel and its size, so a switch never re-lays a panel out).
        PanelSpec("side-weights", WeightsPanel, "Weights", "side-weights-box", ("units",),
                  row="gallery-view", selects=True, min_width=SIDE_WEIGHTS_WIDTH),
        PanelSpec("gradients", GradientPanel, "Gradients", "gradients-view",
                  ("gradients",), selects=True, orders=True),
        # A conv run's filters beside their maps on the chosen image; pictures that change
        # at every step, so handed the printed snapshot only (at most twice a second).
        PanelSpec("filters", FiltersPanel, "Filters", "filters-box", ("filters",),
                  row="filters-view", prints_numbers=False, selects=True, orders=True),
        PanelSpec("filter-similarity", SimilarityPanel, "Similarity", "filter-similarity-box",
                  ("filters",), row="filters-view", selects=True, orders=True,
                  min_width=FILTER_SIMILARITY_WIDTH),
    )
    """Every panel, in the screen's order: a new panel is a widget module and a row."""

    view: reactive[View] = reactive("all", init=False)
    """The view the user asked for (keys 0-3)."""
    wide: reactive[bool] = reactive(True, init=False)
    """The terminal is at least :data:`WIDE_SIZE`: "all" fits."""
    too_small: reactive[bool] = reactive(False, init=False)
    """The terminal is below :data:`MIN_SIZE`: only a message is shown."""
    present: reactive[bool] = reactive(False, init=False)
    """Presentation mode (P / F5): settings, view tabs and footer hide; the view and the
    scene's caption get their room (in the "all" view the loss takes the larger share)."""

    def __init__(self, config: Config, *, show_rate: bool = True,
                 numbers_interval: float = NUMBERS_INTERVAL,
                 clock: Callable[[], float] = time.monotonic,
                 schedule: Schedule | None = None) -> None:
        super().__init__()
        self._config = config
        self.snapshot: Snapshot | None = None
        self.printed: Snapshot | None = None
        """The snapshot whose numbers are on screen (it lags :attr:`snapshot` by less
        than ``numbers_interval``)."""
        self.numbers_interval = numbers_interval
        self._numbers = Throttle.every(lambda: self.numbers_interval, clock)
        """The numbers' throttle (the panels' own, app/widgets/_throttle.py)."""
        self.schedule: Schedule = schedule or timer_schedule(self, "numbers")
        """How the numbers' trailing update is scheduled."""
        self.numbers_gate = NumberGate()
        """Open while the panels may print the numbers of the snapshot handed to them."""
        self._drawn: dict[Widget, int] = {}  # panel -> version it last received
        self.ready = False
        """True from mount to unmount: there is something to draw on."""
        self.on_choose_image: Callable[[int], None] | None = None
        """Called with -1 / +1 for ← / → in the filters view: the app asks its controller
        for the previous / next image."""
        self.on_ready: Callable[[], None] | None = None
        """Called once the screen is mounted, before its first frame: the app draws the
        status line and the panels then (the app mounts before its screen, so its own
        first poll finds nothing to draw on, and the status line came a frame late)."""
        self.panels: dict[str, Widget] = {
            spec.id: spec.widget(id=spec.id, **dict(spec.options)) for spec in self.PANELS}
        """Every panel of :attr:`PANELS`, by its id."""
        for spec in self.PANELS:
            if spec.prints_numbers:
                self.panels[spec.id].numbers_gate = self.numbers_gate  # type: ignore[attr-defined]
        self.boxes, self.areas = compose_areas(self.PANELS, self.panels)
        self.loss_panels: dict[View, LossPanel] = {
            spec.views[0]: panel for spec in self.PANELS
            if isinstance(panel := self.panels[spec.id], LossPanel)}
        """The loss panel of each view that shows one."""
        self.selected_unit = 0
        """The unit every panel highlights (0-based; shown as unit 1 … unit H)."""
        self.settings_panels = [
            SettingsPanel("init", config, id="init-settings"),
            SettingsPanel("regularization", config, id="regularization-settings"),
            SettingsPanel("training", config, id="training-settings"),
        ]
        self.status_bar = StatusBar(show_rate=show_rate, id="status")
        self.notice_line = NoticeLine(id="notice")
        self.view_tabs = Static(id="view-tabs")
        self.timeline_label = Static(id="timeline-label")
        self.too_small_message = Static(id="too-small")
        self.footer = KeyFooter()
        self.caption_panel = CaptionPanel(id="caption")
        self.caption_area = CaptionBox(self.caption_panel, id="caption-box", classes="box")

    def compose(self) -> ComposeResult:
        with Horizontal(id="main") as self.main_area:
            with Vertical(id="views") as self.views_area:
                yield from self.areas.values()
            with VerticalScroll(id="settings", can_focus=False) as self.settings_area:
                with Vertical(id="settings-column") as self.settings_column:
                    yield from self.settings_panels[:2]
                yield self.settings_panels[2]
        yield self.caption_area
        yield self.too_small_message
        with Horizontal(id="bar") as self.bar:
            yield self.view_tabs
            yield self.timeline_label
            yield self.notice_line
        yield self.status_bar
        yield self.footer

    # -- the panels by name --------------------------------------------------------------

    @property
    def weights_panel(self) -> WeightsPanel:
        """The Weights panel of the "all" and weights views."""
        return cast(WeightsPanel, self.panels["weights"])

    @property
    def similarity_panel(self) -> SimilarityPanel:
        """The Similarity panel."""
        return cast(SimilarityPanel, self.panels["similarity"])

    @property
    def gallery(self) -> UnitsGallery:
        """The units gallery (the units view)."""
        return cast(UnitsGallery, self.panels["gallery"])

    @property
    def side_weights_panel(self) -> WeightsPanel:
        """The units view's own Weights panel, beside the gallery on wide terminals."""
        return cast(WeightsPanel, self.panels["side-weights"])

    @property
    def gradient_panel(self) -> GradientPanel:
        """The Gradients panel."""
        return cast(GradientPanel, self.panels["gradients"])

    @property
    def filters_panel(self) -> FiltersPanel:
        """The filters of a conv run (the filters view)."""
        return cast(FiltersPanel, self.panels["filters"])

    @property
    def units_area(self) -> Widget:
        """The heatmaps' row (Weights and Similarity) of the "all" view."""
        return self.areas["units-view"]

    @property
    def loss_area(self) -> Widget:
        """The loss box of the "all" view."""
        return self.areas["loss-box"]

    # -- what fits -----------------------------------------------------------------------

    @property
    def shown_view(self) -> View:
        """The view on screen: "all" only fits a wide terminal, else the weights view.

        Presenting, the settings view gives way to the weights view.
        """
        if self.view == "all" and not self.wide:
            return "weights"
        if self.view == "settings" and self.present:
            return "weights"
        return self.view

    def on_mount(self) -> None:
        self._fit(self.size)
        self.ready = True  # watchers fire before this: then there is nothing to arrange
        self._arrange()
        if self.on_ready is not None:
            self.on_ready()

    def on_unmount(self) -> None:
        self.ready = False

    def on_resize(self, event: Resize) -> None:
        self._fit(event.size)

    def _fit(self, size: Size) -> None:
        self.wide = fits(size, WIDE_SIZE)
        for spec in self.PANELS:
            if spec.min_width:
                _display(self.boxes[spec.box], size.width >= spec.min_width)
        self.too_small = not fits(size, MIN_SIZE)
        if self.too_small:
            self.too_small_message.update(
                Text(f"enlarge the terminal to at least {MIN_SIZE[0]}×{MIN_SIZE[1]}\n"
                     f"(now {size.width}×{size.height})")
            )

    def watch_view(self) -> None:
        self._arrange()
        self._lay_out_now()

    def watch_wide(self) -> None:
        self._arrange()

    def watch_too_small(self) -> None:
        self._arrange()

    def watch_present(self) -> None:
        self._arrange()
        self._lay_out_now()

    def _arrange(self) -> None:
        """Show the containers of the view on screen and hand its panels the snapshot."""
        if not self.ready:
            return
        view, too_small, present = self.shown_view, self.too_small, self.present
        with self.app.batch_update():
            _display(self.too_small_message, too_small)
            _display(self.main_area, not too_small)
            _display(self.bar, not too_small)
            _display(self.footer, not too_small and not present)
            _display(self.view_tabs, not present)
            _display(self.caption_area,
                     not too_small and self.caption_panel.scenario is not None)
            _display(self.views_area, view != "settings")
            for area_id, area in self.areas.items():
                _display(area, any(view in spec.views for spec in self.PANELS
                                   if area_id in (spec.row, spec.box)))
            _display(self.settings_area, view in ("all", "settings") and not present)
            # Presenting, the heatmaps grow in width (no settings column), and the loss
            # takes the larger share of the height: the heatmaps of 8 units need ~8
            # rows, a loss plot of 8 rows had 4 left for its curves.
            self._arrange_present(present and view == "all")
            self._arrange_settings(single=view == "settings")
            self._draw_tabs()
        # Panels that come into view get the newest snapshot after the frame with the
        # new layout has gone out: that frame is what answers the key, and drawing a
        # panel first (a loss plot is 20-40 ms) would only delay it.
        self.call_after_refresh(self._show_current)

    def _lay_out_now(self) -> None:
        """Lay out and draw the new arrangement now, in the handler of the key.

        Left to Textual, a changed ``display`` travels as messages from each widget to
        the screen (2-4 ms), and the screen lays out on its update timer's next tick
        (0-8 ms more): up to 12 ms before the frame that answers a view key (or P)
        even starts; laid out here, the key's frame is on its way at once (paired runs of
        60 presses of `2`: p95 33.5-39.3 -> 23.7-27.4 ms, p50 19-22 -> 16-17 ms).
        Textual has no public call for this; ``Screen._refresh_layout`` is what its
        timer calls (Textual is pinned in constraints.txt).  The layout the messages
        ask for later finds nothing moved and draws nothing.
        """
        refresh_layout = getattr(self, "_refresh_layout", None)
        if self.ready and self.is_current and callable(refresh_layout):
            refresh_layout()

    def _show_current(self) -> None:
        if self.snapshot is not None:
            self.show(self.snapshot, force=True)  # the panels shown now print it too

    def _arrange_present(self, presenting_all: bool) -> None:
        """Heights of the heatmaps and the loss in the "all" view: 2 : 3 presenting,
        else the stylesheet's (equal).  Inline styles, set only when they change."""
        height = PRESENT_SHARES if presenting_all else (None, None)
        if (self.units_area.styles.height, self.loss_area.styles.height) != tuple(
                None if h is None else Scalar.parse(h) for h in height):
            self.units_area.styles.height, self.loss_area.styles.height = height

    def _arrange_settings(self, single: bool) -> None:
        """Settings view: the groups side by side; otherwise one column on the right.

        Inline styles on three widgets, set only when they change; None falls back to
        the stylesheet (where the column's width is $settings-width).
        """
        settings = self.settings_area
        if (settings.styles.layout is not None
                and (settings.styles.layout.name == "horizontal") == single):
            return
        settings.styles.width = "1fr" if single else None
        settings.styles.layout = "horizontal" if single else "vertical"
        self.settings_column.styles.width = "1fr" if single else "100%"
        self.settings_panels[2].styles.width = "1fr" if single else "100%"

    def _draw_tabs(self) -> None:
        view = self.shown_view
        parts: list[tuple[str, str]] = []
        for name in VIEWS if self.wide else VIEWS[1:]:
            # Small terminals name only the view on screen: the notice needs the room.
            title = f" {VIEW_TITLES[name]}" if self.wide or name == view else ""
            label = f" {VIEW_KEYS[name]}{title} "
            parts.append((label, "reverse bold" if name == view else ""))
        self.view_tabs.update(Text.assemble(*parts))

    # -- content -------------------------------------------------------------------------

    def show(self, snapshot: Snapshot, *, force: bool = False) -> None:
        """Hand ``snapshot`` to the panels on screen that have not drawn it yet.

        Their pictures follow it at once.  Its numbers (every panel's, the loss plot's,
        the status line's) are drawn together when they are due (:meth:`_numbers_due`)
        or ``force``d (panels coming into view), else by the trailing update,
        :meth:`flush_numbers`, so one frame never mixes the numbers of two snapshots.
        """
        self.snapshot = snapshot
        for spec in self.PANELS:
            if spec.when is not None:
                _display(self.boxes[spec.box], spec.when(snapshot))
        due = force or self._numbers_due(snapshot)
        if due:
            self._print(snapshot)
        if self.too_small:
            return
        self.numbers_gate.open = due
        try:
            for panel in self.panels_in_view():
                if self._drawn.get(panel) != snapshot.version:
                    self._drawn[panel] = snapshot.version
                    panel.show(snapshot)  # type: ignore[attr-defined]
        finally:
            self.numbers_gate.open = False
        if due:
            for panel in self.panels_in_view(printed_only=True):
                panel.show(snapshot)  # type: ignore[attr-defined]
        hidden = int(snapshot.params.b1.shape[0])
        if self.selected_unit >= hidden:
            self.selected_unit = 0
        self.select(self.selected_unit)  # a panel shown for the first time catches up

    def flush_numbers(self) -> None:
        """Draw the newest snapshot's numbers now, everywhere (the trailing update)."""
        self._numbers.cancel()
        snapshot = self.snapshot
        if snapshot is None or snapshot is self.printed:
            return
        self._print(snapshot)
        if self.too_small:
            return
        self.numbers_gate.open = True
        try:
            for panel in self.panels_in_view():
                panel.flush_text()  # type: ignore[attr-defined]
        finally:
            self.numbers_gate.open = False
        for panel in self.panels_in_view(printed_only=True):
            panel.show(snapshot)  # type: ignore[attr-defined]

    def _numbers_due(self, snapshot: Snapshot) -> bool:
        """May the numbers on screen change to ``snapshot``'s now?  If not, the trailing
        update is scheduled.  A new run (reset, other settings) is printed at once, and
        so is another image for the filters' maps (the answer to ← or →)."""
        printed = self.printed
        if (printed is None or snapshot.config != printed.config
                or snapshot.step < printed.step or snapshot.image_index != printed.image_index
                or self._numbers.due()):
            return True
        if self.is_attached:
            self._numbers.hold(self.flush_numbers, self.schedule)
        return False

    def _print(self, snapshot: Snapshot) -> None:
        """Make ``snapshot`` the one whose numbers are drawn; the status line follows."""
        self._numbers.cancel()
        self.printed = snapshot
        self._numbers.spend()
        self.status_bar.show_numbers(snapshot)

    def panels_in_view(self, *, printed_only: bool = False) -> list[Widget]:
        """The panels of the view on screen that print their numbers through the gate,
        or (``printed_only``) those handed only the snapshot whose numbers are drawn."""
        view = self.shown_view
        return [self.panels[spec.id] for spec in self.PANELS
                if view in spec.views and spec.prints_numbers != printed_only
                and (not (spec.min_width or spec.when) or self.boxes[spec.box].display)]

    @property
    def loss_panel(self) -> LossPanel:
        """The loss panel of the view on screen (the zoomed one in the loss view)."""
        return self.loss_panels["loss" if self.shown_view == "loss" else "all"]

    # -- the view keys (bound on the App as ``screen.…``: only this screen gets them) ------

    def action_view(self, view: View) -> None:
        """Show all panels (wide terminals; small ones fall back to units) or one view."""
        self.view = view
        if view == "settings":
            self.focus_settings()

    def action_toggle_present(self) -> None:
        """Presentation mode: no settings or footer; the view and the caption get the room."""
        self.present = not self.present
        self.notify("presentation mode: P or F5 leaves it" if self.present
                    else "presentation mode off", markup=False)

    def action_toggle_order(self) -> None:
        """Similarity matrix, gallery and gradients in unit order or by similarity."""
        for spec in self.PANELS:
            if spec.orders:
                self.panels[spec.id].toggle_order()  # type: ignore[attr-defined]
        if self.snapshot is not None:
            self.similarity_panel.show(self.snapshot)

    def action_scroll_features(self, pages: int) -> None:
        """Scroll the shown Weights panel's feature columns ``pages`` screens (left: -1)
        and say which features are shown now."""
        view = self.shown_view
        if view == "filters":
            if self.on_choose_image is not None:
                self.on_choose_image(pages)
            return
        panel = (self.weights_panel if view in ("all", "weights") else
                 self.side_weights_panel if view == "units"
                 and self.boxes["side-weights-box"].display else None)
        if panel is None:
            self.notify("the weights are in view 1: ← → scroll their features there",
                        markup=False)
            return
        self.notify(panel.scroll_columns(pages), markup=False)

    def action_toggle_space(self) -> None:
        """Similarity matrix of the weights, or of what units compute (both matrices)."""
        for panel in (self.similarity_panel, self.panels["filter-similarity"]):
            cast(SimilarityPanel, panel).toggle_space()

    def action_move_selection(self, delta: int) -> None:
        """Move the selection ``delta`` units and highlight that unit in every panel.

        In the units and filters views the selection walks the tiles' order (as laid
        out); elsewhere it walks the unit numbers.
        """
        snapshot = self.snapshot
        if snapshot is None:
            return
        hidden = int(snapshot.params.b1.shape[0])
        order = np.arange(hidden)
        walked = {"units": self.gallery, "filters": self.filters_panel}.get(self.shown_view)
        if walked is not None and walked.by_similarity and len(snapshot.order) == hidden:
            order = np.asarray(snapshot.order)
        self.select(next_unit(order, self.selected_unit, delta))

    def select(self, unit: int) -> None:
        """Highlight hidden unit ``unit`` (0-based) in every panel that shows units."""
        self.selected_unit = unit
        for spec in self.PANELS:
            panel: Any = self.panels[spec.id]
            if spec.selects and panel.selected_unit != unit:
                panel.select(unit)

    def action_toggle_log(self) -> None:
        """Loss axis linear or logarithmic, in both loss panels."""
        for panel in self.loss_panels.values():
            panel.toggle_log_scale()
        if self.printed is not None:
            self.loss_panel.show(self.printed)

    def show_status(self, snapshot: Snapshot, state: RunState, speed: float | None,
                    stalled_s: float | None = None) -> None:
        """The status line: the run's state, the speed cap, and the numbers of the
        snapshot the panels print (``snapshot`` until the screen has printed one)."""
        self.status_bar.show(self.printed or snapshot, state, speed, stalled_s)

    def show_run_status(self, live: Snapshot, timeline: Timeline,
                        controller: RunController) -> None:
        """The status line of the state on screen (a recorded one, or ``live``, the run's
        newest) and, off the live run, which recorded step that is."""
        position = timeline.position
        shown = live if position is None else timeline.snapshots[position]
        self.show_timeline(timeline_text(timeline, live))
        self.show_status(shown, controller.state, controller.speed, controller.stalled_for())

    def show_scene_state(self, scene: Scenario | None, paused_at: int | None) -> None:
        """Redraw the caption when the scene paused itself (at ``paused_at``) or played on."""
        if scene is not None and self.caption_panel.paused_at != paused_at:
            self.show_scene(scene, paused_at)

    def show_scene(self, scenario: Scenario | None, paused_at: int | None = None) -> None:
        """Show ``scenario``'s caption in its box (None hides the box)."""
        self.caption_panel.show_scene(scenario, paused_at)
        if scenario is not None:
            self.caption_area.border_title = f"Scene {scene_label(scenario)}"
            self.caption_area.border_subtitle = self.caption_panel.status
        if self.ready:
            _display(self.caption_area, not self.too_small and scenario is not None)

    def open_scene(self, scenario: Scenario) -> None:
        """A scene was opened: its settings in the controls, its view, its caption."""
        self.sync_settings(scenario.config)
        self.view = scenario.view  # type: ignore[assignment]
        self.show_scene(scenario)

    def show_timeline(self, text: str | None) -> None:
        """Say which recorded step is on screen (None: the live run, nothing to say)."""
        label = self.timeline_label
        if text is None:
            _display(label, False)
            return
        if str(label.render()) != text:
            label.update(text)
        _display(label, True)

    def sync_settings(self, config: Config) -> None:
        """Make every settings control show ``config``."""
        for panel in self.settings_panels:
            panel.sync(config)

    # -- focus ---------------------------------------------------------------------------

    def focus_settings(self) -> None:
        """On the settings view, put the focus on the first setting unless one has it."""
        focused = self.focused
        if focused is None or not focused.display:
            first = self.settings_panels[0].controls[0]
            self.call_after_refresh(first.focus)

    def leave_setting(self, focused: Widget | None, config: Config) -> None:
        """Esc: what was typed in ``focused`` (a number box) and not applied is dropped:
        it shows ``config``'s value again."""
        if isinstance(focused, NumberInput) and focused.edited:
            focused.show_value(getattr(config, focused.spec.name))

    def focus_setting(self, name: str) -> None:
        """Move the keyboard focus to the control of setting ``name`` (showing it)."""
        if self.shown_view not in ("all", "settings"):
            self.view = "settings"
        control = self.query_one(f"#setting-{name}")
        self.call_after_refresh(control.focus)


def _display(widget: Widget, shown: bool) -> None:
    if widget.display != shown:
        widget.display = shown
