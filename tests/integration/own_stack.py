"""A stack of a test's own: `scripts/stack.sh` with some of its components, in a stack
directory under /tmp and on free ports, never with the shared stack's secrets. Purged and
removed afterwards."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from tests.testenv import ROOT, free_port


@contextmanager
def own_stack(prefix: str, components: str, *port_variables: str):
    """Yields (directory, env, stack): the stack directory, the environment stack.sh runs
    with (this process's, each of `port_variables` set to a free port, without
    PROCEDURA_SECRETS_FILE: the stack generates its own), and `stack(verb)`, which runs
    `stack.sh verb` and fails the test naming its output when it does not succeed."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    # under /tmp but traversable: a server of the stack may run as its own user
    directory.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "PROCEDURA_SECRETS_FILE"}
    env.update({"PROCEDURA_STACK_DIR": str(directory), "PROCEDURA_STACK_COMPONENTS": components,
                **{variable: str(free_port()) for variable in port_variables}})

    def stack(verb: str) -> subprocess.CompletedProcess:
        result = subprocess.run([str(ROOT / "scripts" / "stack.sh"), *verb.split()], env=env,
                                capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, f"stack.sh {verb}:\n{result.stdout}\n{result.stderr}"
        return result

    try:
        yield directory, env, stack
    finally:
        stack("down --purge")
        shutil.rmtree(directory, ignore_errors=True)
