"""How often the Live tab's slower outputs go to a visitor's page.

Every webcam frame comes back boxed, but the page pays for each output it is sent: a label
re-rendered on every frame, and above all the rolling plot redrawn in the browser, held the
frames shown at 6-8 a second in the browser test (tests/test_browser.py prints the rate). The
readings and the plot are sent at a pace of their own instead, per visitor's session.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable


class Pacer:
    """Whether something is due again for a session object; forgotten with the session."""

    def __init__(self, every: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self._clock = clock
        self._last: weakref.WeakKeyDictionary[object, float] = weakref.WeakKeyDictionary()
        self._seen: weakref.WeakKeyDictionary[object, object] = weakref.WeakKeyDictionary()

    def due(self, session: object) -> bool:
        """True at most once every `every` seconds for `session` (the first time always)."""
        now = self._clock()
        last = self._last.get(session)
        if last is not None and now - last < self.every:
            return False
        self._last[session] = now
        return True

    def changed(self, session: object, value: object) -> bool:
        """True when `value` differs from the one last seen for `session`, which it then becomes."""
        if session in self._seen and self._seen[session] == value:
            return False
        self._seen[session] = value
        return True
