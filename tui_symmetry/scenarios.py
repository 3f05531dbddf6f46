"""Built-in scenarios: named runs with a caption, for a lecture.

A scenario is a run configuration plus what to say about it: a two- or three-sentence
caption (what to watch, what it means), the step by which its point is made, and
optionally a narration speed and a step at which the scene pauses itself.  The order of
:data:`SCENARIOS` is the order of a lecture (next / previous scene).

Each caption's claim is checked by ``tests/test_scenarios.py``, which runs the scenario
headless and asserts what the caption promises: change a configuration here and that
test tells you whether the story still holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui_symmetry.core.config import Config
from tui_symmetry.options import SPEED, VIEWS


class UnknownScenario(ValueError):
    """A scenario name that is not built in; the message lists the names that are."""


@dataclass(frozen=True)
class Scenario:
    """One scene of a lecture: a run, a caption and when its point is made.

    ``point_step`` is the step by which the caption's claim holds (the tests run the
    scenario to it).  ``speed`` (steps per second, None: as the user set it) slows a
    scene down enough to narrate; ``pause_at`` is a step at which the scene stops
    itself so the lecturer can talk (None: it runs on).  ``view`` is the app's view the
    caption talks about (options.VIEWS): opening the scene opens it, and the caption
    says only what that view and the status line show at the pause.
    """

    name: str
    title: str
    config: Config
    caption: str
    point_step: int
    speed: float | None = None
    pause_at: int | None = None
    view: str = "all"

    def __post_init__(self) -> None:
        if self.point_step < 1:
            raise ValueError(f"{self.name}: point_step must be >= 1")
        if self.pause_at is not None and self.pause_at < 0:
            raise ValueError(f"{self.name}: pause_at must be >= 0")
        if self.speed is not None:
            SPEED.coerce(self.speed)
        if self.view not in VIEWS:
            raise ValueError(f"{self.name}: view must be one of {', '.join(VIEWS)}")

    def changes(self) -> dict[str, Any]:
        """The settings that differ from the defaults, in the order of the settings table."""
        defaults = Config().to_dict()
        return {name: value for name, value in self.config.to_dict().items()
                if value != defaults[name]}


def _scenario(name: str, title: str, caption: str, point_step: int, *,
              speed: float | None = None, pause_at: int | None = None, view: str = "all",
              **changes: Any) -> Scenario:
    return Scenario(name, title, Config().replace(**changes), caption, point_step,
                    speed, pause_at, view)


_ALL = (
    _scenario(
        "symmetric-stays", "Identical copies stay identical",
        "Every hidden unit starts as an exact copy of one unit. Each copy gets the same "
        "gradient, so they stay copies to the last bit: the Similarity panel stays one "
        "solid block with a max unit gap of exactly 0.0, and the loss comes down toward "
        "the one-unit line but can never go below it.",
        3000, speed=250, pause_at=3000, view="all",
        init="symmetric", epsilon=0.0,
    ),
    _scenario(
        "zero-stuck", "All-zero init: no gradient, the loss stays ln 2",
        "Every weight starts at exactly zero and the activation is tanh. tanh(0) = 0, so "
        "the hidden units output nothing and pass no gradient back: every unit stays "
        "dead (†, no weights, in the Weights panel) and the loss stays at ln 2 = 0.693 "
        "for good.",
        1000, speed=100, pause_at=1000, view="all",
        init="zeros", epsilon=0.0,
    ),
    _scenario(
        "epsilon-split", "A tiny nudge grows until the copies split",
        "Copies of one unit plus a random nudge of size 1e-4. While they are alike the "
        "loss sits on a plateau above the one-unit line, and the spread of the units "
        "climbs in a straight line on its log axis: the saddle multiplies their "
        "difference at a steady rate. Then the units split (marked) and the loss drops "
        "below the one-unit line.",
        2000, speed=200, pause_at=2000, view="loss",
        init="symmetric", epsilon=1e-4,
    ),
    _scenario(
        "random-breaks", "Random init: different from the start",
        "Every unit starts from its own random draw, so the units differ from step 0. "
        "Watch the Similarity panel stay mixed while the loss falls far below the "
        "one-unit line: different units learn different pieces of the task.",
        2000, speed=200, pause_at=2000, view="all",
        init="xavier", epsilon=0.0,
    ),
    _scenario(
        "dropout-breaks", "Dropout breaks the tie between copies",
        "Exact copies again, with no nudge at all, but dropout now switches units off at "
        "random, differently for each unit. That per-unit randomness is enough: the "
        "copies drift apart and the loss drops below the one-unit line.",
        2000, speed=200, pause_at=2000, view="all",
        init="symmetric", epsilon=0.0, dropout=0.1,
    ),
    _scenario(
        "small-init-condenses", "Tiny init: units line up, then split",
        "The units start random but tiny (Xavier times 0.001). At first they become more "
        "alike, not less: the symmetry index climbs from its chance level toward 1 as "
        "they line up along one direction, while the loss barely moves. Play on: the "
        "loss starts to fall and they split apart again.",
        3000, speed=200, pause_at=1200, view="loss",
        init="xavier", init_scale=0.001, epsilon=0.0,
    ),
    _scenario(
        "tie-collapses", "A tie penalty merges the units",
        "The units start random, but a penalty pulls every unit toward the average unit. "
        "Watch the symmetry index climb to 1 as they merge into one, and the loss stall "
        "above the one-unit line: a regularizer can force symmetry on a network, and the "
        "fit pays for it.",
        2000, speed=200, pause_at=2000, view="loss",
        init="xavier", epsilon=0.0, tie=0.05,
    ),
    _scenario(
        "l1-prunes", "L1 sets weights to exactly zero and kills units",
        "Proximal L1 shrinks every weight a little at each step, and a weight that "
        "reaches zero stays exactly zero. Watch whole units go blank (†) in the Weights "
        "panel: most weights end at 0, and the units left still take the loss below the "
        "one-unit line.",
        1500, speed=150, pause_at=1500, view="all",
        init="xavier", epsilon=0.0, l1=0.01,
    ),
    _scenario(
        "sine-basis", "Regression: the units tile the input",
        "A 1-D regression with ReLU units. Every unit starts with its kink at x = 0, "
        "because the biases start at zero; training moves the kinks apart until they "
        "cover the input range, and the sine is drawn as a chain of straight pieces.",
        1000, speed=100, pause_at=1000, view="units",
        dataset="sine", noise=0.05, hidden=12, activation="relu", init="xavier",
        epsilon=0.0,
    ),
    _scenario(
        "linear-convex", "Linear units: one least-squares line",
        "With a linear activation the whole network computes a straight line, however "
        "many units it has: each unit's line and the fit are drawn. From any start but "
        "all zeros it reaches the least-squares fit: change the init (i) and the units "
        "end up different, the fit the same.",
        500, speed=50, pause_at=500, view="units",
        dataset="linear", activation="linear", init="xavier", epsilon=0.0, lr=0.02,
    ),
)

SCENARIOS: dict[str, Scenario] = {scenario.name: scenario for scenario in _ALL}
"""Every built-in scenario by name, in lecture order."""


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; UnknownScenario (one line, listing the names) if none.

    Case is ignored and ``_`` may stand for ``-``, like the choices of the settings.
    """
    key = name.strip().lower().replace("_", "-")
    scenario = SCENARIOS.get(key)
    if scenario is None:
        raise UnknownScenario(
            f"scenario: {name!r} is not one of {', '.join(SCENARIOS)}"
        )
    return scenario


def listing() -> str:
    """``tui-symmetry scenarios``: one ``name  title`` line per scenario, aligned."""
    width = max(len(name) for name in SCENARIOS)
    return "".join(f"{name:<{width}}  {scenario.title}\n"
                   for name, scenario in SCENARIOS.items())


__all__ = ["SCENARIOS", "Scenario", "UnknownScenario", "get_scenario", "listing"]
