"""A Procedura process made green, as `nameko run` makes a service's: the standard
library's sockets, threads and locks patched for eventlet before anything else runs
(nameko's standalone proxies and every service expect a patched process).

About a second of CPU spared at every start of a service or command, spent by eventlet
0.33 on work it does not need (docs/benchmarks.md, "make test's length"):
- it imports `distutils.version` for one version comparison; where setuptools is
  installed, its distutils shim answers that import by loading all of setuptools and
  pkg_resources (about 0.35 s). The standard library's distutils (Python 3.11) is taken
  instead: the comparison is the same.
- to green each lock made before patching (logging's, above all), eventlet collects
  garbage once per lock and then looks for what refers to it; the collection is there
  only to spare it looking at garbage, which the look ignores anyway (about 0.6 s)."""
from __future__ import annotations

import gc
import sys

if sys.version_info < (3, 12) and "eventlet" not in sys.modules:
    try:
        import _distutils_hack   # setuptools' shim, present where setuptools is
    except ImportError:
        pass
    else:
        _distutils_hack.remove_shim()

import eventlet  # noqa: E402  (after the shim is gone)


def monkey_patch() -> None:
    collect = gc.collect
    gc.collect = lambda generation=2: 0   # eventlet 0.33's _fix_py3_rlock, once a lock
    try:
        eventlet.monkey_patch()
    finally:
        gc.collect = collect
