"""The Live tab's slower outputs at their own pace, per session, forgotten with the session."""

from __future__ import annotations

import gc

from space.pacing import Pacer


class Session:
    pass


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_due_once_per_interval_and_per_session():
    clock = Clock()
    pace = Pacer(0.3, clock)
    one, two = Session(), Session()
    assert pace.due(one) and pace.due(two)  # the first time always
    clock.now = 0.2
    assert not pace.due(one) and not pace.due(two)
    clock.now = 0.31
    assert pace.due(one) and not pace.due(one)


def test_changed_only_when_the_value_changes_and_sessions_are_forgotten():
    pace = Pacer(1.0)
    session = Session()
    assert pace.changed(session, (3, 1.5)) and not pace.changed(session, (3, 1.5)) and pace.changed(session, (4, 2.0))
    del session
    gc.collect()
    assert len(pace._seen) == 0 and len(pace._last) == 0
