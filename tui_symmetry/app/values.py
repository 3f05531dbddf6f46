"""A setting's value in words and one step up or down: what the controls and the run
controller share (no Textual, so the controller can decide with them).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from tui_symmetry.core.config import FieldSpec

# First value a nudge up gives a field that is at zero: a visible but gentle amount.
_FIRST_STEP = {
    "epsilon": 1e-4,
    "l1": 1e-4,
    "l2": 1e-4,
    "grad_noise": 1e-3,
    "tie": 1e-3,
    "noise": 0.05,
    "test_fraction": 0.1,
    "init_scale": 0.1,
}
# Fields that move in fixed steps rather than along 1-2-5 decades.
_LINEAR_STEP = {"dropout": 0.05, "momentum": 0.05, "test_fraction": 0.05, "noise": 0.05}
_INT_STEP = {"hidden": 1, "seed": 1, "kernel": 2}  # filters are 3 × 3 or 5 × 5


def short_name(name: str) -> str:
    """How a field is named in messages: ``init``, ``lr``, ``batch size``..."""
    return "ε" if name == "epsilon" else name.replace("_", " ")


def format_value(value: Any) -> str:
    """A compact, exact-enough text for a setting's value (``0.2``, ``1e-05``, ``xor``)."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _decade_up(value: float) -> float:
    """The next value on the 1-2-5 ladder above ``value`` (0.1 → 0.2 → 0.5 → 1 ...)."""
    exponent = math.floor(math.log10(value))
    for exp in (exponent, exponent + 1):
        for mantissa in (1, 2, 5):
            candidate = float(Decimal(mantissa).scaleb(exp))
            if candidate > value * (1 + 1e-9):
                return candidate
    return value * 2  # unreachable in practice


def _decade_down(value: float) -> float:
    exponent = math.floor(math.log10(value))
    for exp in (exponent, exponent - 1):
        for mantissa in (5, 2, 1):
            candidate = float(Decimal(mantissa).scaleb(exp))
            if candidate < value * (1 - 1e-9):
                return candidate
    return value / 2  # unreachable in practice


def nudge(spec: FieldSpec, value: Any, direction: int) -> Any:
    """The value one step up (``direction`` > 0) or down from ``value``, kept in range.

    Rates and strengths move along 1-2-5 decades (0.01, 0.02, 0.05, 0.1 ...), going to
    zero below a small floor where zero is allowed; probabilities move linearly;
    counts by one (batch size doubles).  Choice fields cycle through their choices.
    """
    if spec.choices:
        index = spec.choices.index(value) if value in spec.choices else 0
        return spec.choices[(index + direction) % len(spec.choices)]
    low = spec.low if spec.low is not None else -math.inf
    high = spec.high if spec.high is not None else math.inf
    if spec.kind is int:
        if spec.name == "batch_size":
            if direction > 0:
                new = 8 if value == 0 else value * 2
            else:
                new = 0 if value <= 8 else value // 2
        else:
            new = value + direction * _INT_STEP.get(spec.name, 1)
        return int(min(max(new, low), high))
    step = _LINEAR_STEP.get(spec.name)
    if step is not None:
        new = round(value + direction * step, 10)
    elif direction > 0:
        new = _FIRST_STEP.get(spec.name, 1e-3) if value <= 0 else _decade_up(value)
    else:
        floor = _FIRST_STEP.get(spec.name, 1e-4)
        new = _decade_down(value) if value > 0 else value
        if new < floor * (1 - 1e-9):
            new = 0.0
    # Respect open bounds (lr > 0, momentum < 1) by stopping one step short of them.
    if spec.low_open and new <= low:
        return value
    if spec.high_open and new >= high:
        return value
    return float(min(max(new, low), high))
