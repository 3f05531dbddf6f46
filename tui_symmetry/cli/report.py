"""The report of a run (`train`; `compare` sets two side by side): aligned
``label  value`` lines from a run's summary."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from tui_symmetry.core.config import unit_word
from tui_symmetry.core.saddle import join_words, reading_name, reading_words


def format_summary(summary: Mapping[str, Any], requested: int, chance: float,
                   export: str | None, has_test: bool) -> str:
    """The human-readable report of a ``train`` run: a few aligned ``label  value`` lines."""
    return aligned_rows(summary_rows(summary, requested, chance, export, has_test))


def aligned_rows(rows: Sequence[tuple[str, str]]) -> str:
    """``label  value`` lines, the values aligned (train's report, an experiment's)."""
    width = max(len(label) for label, _ in rows)
    return "".join(f"{label:<{width}}  {value}\n" for label, value in rows)


def summary_rows(summary: Mapping[str, Any], requested: int, chance: float,
                 export: str | None, has_test: bool) -> list[tuple[str, str]]:
    """The ``(label, value)`` rows of a run's report (``compare`` sets two side by side).

    ``summary`` is Snapshot.summary(); a loss of None there means it was
    not finite (a diverged run), except a test loss without a test split.
    """
    word, hidden = unit_word(summary["config"])
    step = summary["step"]
    rows: list[tuple[str, str]] = []
    rows.append(("steps", f"{step:,}" if step == requested else f"{step:,} of {requested:,}"))
    loss = _num(summary["loss"])
    if has_test:
        loss = f"{loss}  (test {_num(summary['test_loss'])})"
    rows.append(("loss", loss))
    if summary["accuracy"] is not None:
        classes = len(summary.get("classes") or ())
        told = f"  ({classes} classes)" if classes > 2 else ""
        rows.append(("accuracy", f"{100 * summary['accuracy']:.1f} %{told}"))
    symmetry = summary["symmetry_index"]  # None: undefined (fewer than two live units)
    rows.append(("symmetry index", f"{'—' if symmetry is None else f'{symmetry:.3f}'}"
                 f"  (chance {chance:.3f})"))
    if summary.get("similarity_measure"):
        rows.append(("similarity", summary["similarity_measure"]))
    rows.append((f"distinct {word}s", f"{summary['distinct_units']} / {hidden}"))
    rows += _change_rows(summary)
    dead = f"{summary['dead_units']} / {hidden}"
    kinds = [(summary.get("constant_units", 0), "constant"),
             (summary.get("inactive_units", 0), "never active")]
    told = [f"{count} {word}" for count, word in kinds if count]
    rows.append((f"dead {word}s", dead + (f"  ({', '.join(told)})" if told else "")))
    saddle = _saddle_text(summary)
    if saddle:
        rows.append((reading_name(summary["distinct_units"]), saddle))
    one_unit = _one_unit_text(summary)
    if one_unit is not None:
        rows.append((f"one-{word} loss", one_unit))
    gap = summary["max_unit_gap"]
    # Exactly 0.0 is the interesting case: the units are copies down to the last bit.
    if gap is None:  # the summary makes non-finite numbers None (JSON-ready)
        gap_text = "not finite"
    else:
        gap_text = "0.0  (bit-identical)" if gap == 0.0 else f"{gap:.4g}"
    rows.append(("max unit gap", gap_text))
    rows.append(("diverged", "yes (last finite state reported)" if summary["diverged"]
                 else "no"))
    rows.append(("speed", f"{summary['steps_per_s']:,.0f} steps/s"))
    if export is not None:
        rows.append(("export", export))
    return rows


def _one_unit_text(summary: Mapping[str, Any]) -> str | None:
    """The one-unit line and what this run's loss says against it, or None.

    The best network of identical units equals the best one-unit network: the line a
    run must cross to gain anything from having several units.  Only units that
    differ can be credited with crossing it: bit-identical units are one unit (the line
    comes down to their own loss, core/trainer.py), and for units that are still alike
    a loss below it says more about the line (an optimizer's upper bound) than the run.
    """
    line, loss = summary.get("one_unit_loss"), summary["loss"]
    if line is None or loss is None:
        return None
    value = f"{line:.6g}"
    if summary.get("one_unit_weights_grow"):
        value += " as weights grow"  # only approached, never reached (core/one_unit.py)
    upper = summary.get("one_unit_bound") == "upper"
    best = ("at most this with identical units (an upper bound: searched for exactly "
            "only with one output and two inputs)" if upper else "best with identical units")
    if summary.get("one_unit_source") == "this run":
        best += ": this run's own, lower than the optimizer's"
    if summary["max_unit_gap"] == 0.0:
        where = "the units are identical: this run is one unit"
    elif loss >= line - 1e-9:
        where = "not below it: no better than one unit"
    elif upper:
        where = "below it, but it is only a bound: one unit may do as well"
    elif summary["distinct_units"] <= 1:
        where = "below it, but the units are alike: the line is an upper bound, no payoff"
    else:
        where = "below it: different units pay off"
    return f"{value}  ({best}; {where})"


def _change_rows(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The rows of lasting splits and merges (core/lasting.py), those still pending, and
    how many raw changes of the count were undone too soon to count."""
    window = summary.get("lasting_steps")
    pending = summary.get("not_yet_lasting") or []
    lasting = [(summary.get("splits") or [], [c for c in pending if c[2] > c[1]]),
               (summary.get("merges") or [], [c for c in pending if c[2] < c[1]])]
    rows = [("splits", _changes_text(*lasting[0], window))]
    if lasting[1][0] or lasting[1][1]:
        rows.append(("merges", _changes_text(*lasting[1], window)))
    counted = {change[0] for changes, waiting in lasting for change in [*changes, *waiting]}
    brief = sum(1 for event in summary.get("unit_events") or [] if event[0] not in counted)
    if brief and window is not None:
        rows.append(("brief changes", f"{brief} undone within {window:,} steps "
                     "(not splits or merges)"))
    return rows


def _changes_text(changes: Sequence[Sequence[int]], pending: Sequence[Sequence[int]],
                  window: int | None, shown: int = 3) -> str:
    """``at step 1,540: 1 → 2; at 1,610: 2 → 3; and 4 more`` (or ``none``), then the
    pending ones: ``; 4 → 5 at 2,950 lasts if the count holds to 3,049``."""
    parts = [f"at step {step:,}: {before} → {after}" if i == 0
             else f"at {step:,}: {before} → {after}"
             for i, (step, before, after) in enumerate(changes[:shown])]
    more = len(changes) - shown
    text = "; ".join(parts) + (f"; and {more} more" if more > 0 else "") if parts else "none"
    for step, before, after in pending:
        holds = f" lasts if the count holds to {step + window - 1:,}" if window else ""
        text += f"{'; then' if parts else ' yet:'} {before} → {after} at {step:,}{holds}"
    return text


def _saddle_text(summary: Mapping[str, Any]) -> str | None:
    """The saddle reading in words (the panel's, at full length), or None without one."""
    pieces = reading_words(summary, lambda value: f"{value:+.3g}",
                           lambda value: f"{value:,.0f}", named=False)
    if not pieces:
        return None
    return functools.reduce(join_words, (piece[0] for piece in pieces[1:]), pieces[0][0])


def _num(value: float | None) -> str:
    return "not finite" if value is None else f"{value:.6g}"
