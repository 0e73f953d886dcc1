"""The command line's process made green, as `nameko run` makes a service's: the standard
library's sockets, threads and locks patched for eventlet before anything else runs
(nameko's standalone proxies expect a patched process).

Without the second eventlet spends doing it: to green each lock made before patching
(logging's, above all), eventlet collects garbage once per lock and then looks for what
refers to it; the collection is there only to spare it looking at garbage, which the
look ignores anyway. About 0.6 s of every `procedura` command's start (docs/benchmarks.md,
"make test's length")."""
from __future__ import annotations

import gc

import eventlet


def monkey_patch() -> None:
    collect = gc.collect
    gc.collect = lambda generation=2: 0   # eventlet 0.33's _fix_py3_rlock, once a lock
    try:
        eventlet.monkey_patch()
    finally:
        gc.collect = collect
