"""The one redraw throttle (app/widgets/_throttle.py) on a fake clock and fake timers."""

from __future__ import annotations

import pytest
from conftest import FakeClock, FakeTimers

from tui_symmetry.app.widgets._throttle import Throttle


def test_every_allows_one_update_per_interval() -> None:
    clock = FakeClock()
    throttle = Throttle.every(0.5, clock)
    assert throttle.due()  # nothing drawn yet
    throttle.spend()
    assert not throttle.due() and throttle.wait() == pytest.approx(0.5)
    clock.advance(0.3)
    assert not throttle.due() and throttle.wait() == pytest.approx(0.2)
    clock.advance(0.2)
    assert throttle.due()  # the interval has passed (to the last bit: 1000.5 - 1000.0)
    throttle.spend(99.0)  # an interval has no cost: the interval starts again
    assert throttle.wait() == pytest.approx(0.5)


def test_an_interval_of_zero_or_a_changed_one_is_read_at_each_check() -> None:
    clock = FakeClock()
    interval = [0.0]
    throttle = Throttle.every(lambda: interval[0], clock)
    throttle.spend()
    assert throttle.due()  # 0: no throttle
    interval[0] = 1.0
    assert not throttle.due() and throttle.wait() == pytest.approx(1.0)


def test_a_budget_starts_full_goes_into_debt_and_refills_at_its_rate() -> None:
    clock = FakeClock()
    budget = Throttle.budget(1000.0, 1.0, clock)  # 1000 bytes/s, 1 s of burst
    assert budget.due() and budget.tokens == 1000.0
    budget.spend(2500.0)
    assert budget.tokens == -1500.0 and budget.wait() == pytest.approx(1.5)
    clock.advance(1.0)
    assert not budget.due() and budget.wait() == pytest.approx(0.5)
    assert budget.wait() == pytest.approx(0.5)  # asking twice refills nothing twice
    clock.advance(0.5)
    assert budget.due()
    clock.advance(10.0)
    budget.due()
    assert budget.tokens == 1000.0  # never more than the burst


def test_a_budget_of_zero_is_no_throttle_and_costs_nothing() -> None:
    budget = Throttle.budget(0.0, 1.0, FakeClock())
    budget.spend(1e9)
    assert budget.due() and budget.tokens == 0.0


def test_hold_schedules_one_trailing_update_when_it_is_due() -> None:
    clock = FakeClock()
    timers = FakeTimers(clock)
    throttle = Throttle.every(0.5, clock)
    flushed: list[float] = []
    throttle.spend()
    clock.advance(0.1)
    throttle.hold(lambda: flushed.append(clock()), timers.schedule)
    throttle.hold(lambda: flushed.append(-1.0), timers.schedule)  # already held: ignored
    assert throttle.pending and [when for when, _, _ in timers.waiting] == [
        pytest.approx(clock() + 0.4)]
    clock.advance(0.3)
    assert timers.fire_due() == 0 and flushed == []
    clock.advance(0.2)
    assert timers.fire_due() == 1 and flushed == [clock()]
    assert not throttle.pending  # the next hold schedules again


def test_cancel_drops_the_trailing_update() -> None:
    clock = FakeClock()
    timers = FakeTimers(clock)
    budget = Throttle.budget(100.0, 1.0, clock)
    budget.due()
    budget.spend(200.0)
    budget.hold(lambda: pytest.fail("cancelled"), timers.schedule)
    assert budget.pending
    budget.cancel()
    clock.advance(5.0)
    assert not budget.pending and timers.fire_due() == 0


def test_a_throttle_has_an_interval_or_a_rate() -> None:
    with pytest.raises(ValueError):
        Throttle(FakeClock())
    with pytest.raises(ValueError):
        Throttle(FakeClock(), interval=1.0, rate=1.0)
