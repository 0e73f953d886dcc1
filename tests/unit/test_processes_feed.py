"""An engine's standard input made while it starts (services/renditions/engines/processes.py,
`feed`): OCR hands Tesseract a straightened page this way while Tesseract loads its
languages. The child reads all of it; the deadline holds when the child never reads;
the caller's work runs after the child has started, not before. And the priority a child
is given (`niceness`) reaches what it starts."""
from __future__ import annotations

import time

import pytest

from services.renditions.engines import processes


def test_the_child_reads_everything_the_feed_made():
    data = bytes(range(256)) * 20_000   # 5 MB: far more than a pipe holds at once

    done = processes.run(["wc", "-c"], timeout=30, feed=lambda: data)

    assert done.returncode == 0 and int(done.stdout.split()[0]) == len(data)


def test_the_feed_runs_while_the_child_is_already_running(tmp_path):
    started = tmp_path / "started"

    def feed() -> bytes:
        # the child writes this file as its first act: it exists within 5 s of the feed
        # being asked only if the child was started before it
        for _ in range(500):
            if started.exists():
                return b"seen"
            time.sleep(0.01)
        return b"not started"

    done = processes.run(["sh", "-c", f'touch "{started}"; cat'], timeout=30, feed=feed)

    assert done.stdout == "seen"


def test_a_child_that_never_reads_is_killed_at_the_deadline():
    begun = time.monotonic()

    with pytest.raises(processes.Deadline):
        processes.run(["sleep", "30"], timeout=1, feed=lambda: b"x" * 5_000_000)

    assert time.monotonic() - begun < 5


def test_a_child_that_stops_reading_says_so_by_its_exit():
    done = processes.run(["sh", "-c", "head -c 10 >/dev/null; exit 3"], timeout=30,
                         feed=lambda: b"x" * 5_000_000)

    assert done.returncode == 3


def _nice_of_stat(line: str) -> int:
    return int(line.rsplit(")", 1)[1].split()[16])   # field 19 of /proc/<pid>/stat


def test_niceness_lowers_the_priority_of_the_child_and_of_what_it_starts():
    # `; true` keeps sh from exec'ing: cat is the child's child
    done = processes.run(["sh", "-c", "cat /proc/self/stat; true"], timeout=30, niceness=7)
    plain = processes.run(["sh", "-c", "cat /proc/self/stat; true"], timeout=30)

    assert done.returncode == 0 and _nice_of_stat(done.stdout) == _nice_of_stat(plain.stdout) + 7
