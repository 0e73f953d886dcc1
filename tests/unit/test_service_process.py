"""`procedura-service`, the process every Procedura service runs in (scripts/services.sh,
the Kubernetes Deployments): what a mistyped service says, and the start-up work it
spares. Its run itself is exercised by every end-to-end test and by
tests/unit/test_log_masking.py (the configuration and logging of config/procedura.yaml)."""
from __future__ import annotations

import subprocess
import sys

from tests.testenv import ROOT


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_a_service_that_cannot_be_loaded_is_named_and_nothing_starts():
    done = _run("-m", "procedura_cli.service_process", "--config", "config/procedura.yaml",
                "services.no_such_service:Clerk")
    assert done.returncode == 2, done.stderr
    assert "cannot load services.no_such_service:Clerk" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_module_without_a_service_is_refused():
    done = _run("-m", "procedura_cli.service_process", "--config", "config/procedura.yaml",
                "services.common.signature")
    assert done.returncode == 2, done.stderr
    assert ("cannot load services.common.signature: Failed to find anything that looks "
            "like a service in module 'services.common.signature'") in done.stderr


def test_the_process_is_made_green_without_loading_setuptools():
    """eventlet 0.33 imports distutils; setuptools' shim would answer with all of setuptools
    and pkg_resources (about 0.35 s of every start)."""
    done = _run("-c", "import sys; import procedura_cli.green as g; g.monkey_patch(); "
                      "import eventlet.patcher as p; "
                      "print(sorted(m for m in ('setuptools', 'pkg_resources') if m in sys.modules),"
                      " p.is_monkey_patched('socket'))")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "True"]
