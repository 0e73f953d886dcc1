"""The test run's watchdog (tests/watchdog.py) prints every stack and ends the run, though
the heap holds weak proxies whose objects are gone (touching one raises ReferenceError:
it once killed the watchdog's thread instead, and the run went on, hung, printing
nothing)."""
from __future__ import annotations

import weakref

import pytest

from tests import watchdog


class Ended(Exception):
    pass


def test_the_watchdog_prints_the_stacks_and_ends_the_run_past_dead_weak_proxies(
        monkeypatch, capsys):
    class Thing:
        pass

    thing = Thing()
    dead = [weakref.proxy(thing)]    # kept on the heap, its object gone
    del thing

    def end(code):
        raise Ended(code)

    monkeypatch.setattr(watchdog.os, "_exit", end)
    with pytest.raises(Ended) as ended:
        watchdog.Watchdog._fire("tests/x.py::test_hung", 300, None)
    assert ended.value.args == (3,)
    err = capsys.readouterr().err
    assert "watchdog: tests/x.py::test_hung still running after 300 s" in err
    assert "--- thread" in err
    assert dead
