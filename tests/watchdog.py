"""The last guard of a test run: a test still running two minutes after its pytest-timeout
ends the run, printing the stack of every greenlet and thread.

pytest-timeout's signal is raised in whichever greenlet runs when it fires (eventlet's hub
or a service worker), which may swallow it, and a thread blocked in a C call (libpq) never
sees it: such a test would hold the run until CI's own limit, with nothing printed. The
watchdog is a real thread (eventlet's unpatched one), so it fires whatever the greenlets do.
"""
from __future__ import annotations

import gc
import os
import sys
import traceback

import greenlet
from eventlet import patcher

_threading = patcher.original("threading")

GRACE_SECONDS = 120


class Watchdog:
    def __init__(self):
        self._timer = None

    def arm(self, test: str, seconds: float, capture=None) -> None:
        """`capture`: pytest's capture manager, suspended before printing (else what is
        printed goes to the test's captured output, which os._exit loses)."""
        self.cancel()
        self._timer = _threading.Timer(seconds, self._fire, args=(test, seconds, capture))
        self._timer.daemon = True
        self._timer.start()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    @staticmethod
    def _fire(test: str, seconds: float, capture) -> None:
        if capture is not None:
            capture.suspend_global_capture(in_=True)
        out = sys.stderr
        print(f"\nwatchdog: {test} still running after {seconds:.0f} s (its pytest-timeout "
              f"and {GRACE_SECONDS} s more); the run ends here. Stacks follow.", file=out)
        for obj in gc.get_objects():
            try:
                running = isinstance(obj, greenlet.greenlet) and obj.gr_frame is not None
            except ReferenceError:      # a weak proxy whose object is gone
                continue
            if running:
                print(f"--- greenlet {obj!r}", file=out)
                traceback.print_stack(obj.gr_frame, file=out)
        for ident, frame in sys._current_frames().items():
            print(f"--- thread {ident}", file=out)
            traceback.print_stack(frame, file=out)
        out.flush()
        os._exit(3)


def limit_of(item) -> float:
    """The test's pytest-timeout (its mark, else the configured one) plus the grace."""
    mark = item.get_closest_marker("timeout")
    seconds = float(mark.args[0]) if mark and mark.args else float(
        item.config.getini("timeout") or 300)
    return seconds + GRACE_SECONDS
