"""Reading an organisation file in a child process of its own, bounded in time and memory.

orgimport.parse is pure Python: a file made to take long (deep nesting, thousands of
problems) would hold the gateway's eventlet loop, and with it every request of the
process, for as long as it runs. A child process (not a green thread, which shares the
loop) does the reading; the gateway waits for it cooperatively and kills it past the
deadline. The child prints one JSON object: the organisation, or the problems.

    python -m services.gateway.ui.orgimport_process FILENAME < CONTENT
"""
from __future__ import annotations

import json
import sys

# the other imports are inside the functions: the child runs this module too, and should
# load nothing (eventlet, the contracts) before its limits are set

SECONDS = 10                      # wall-clock limit of one file, its problems included
MEMORY_BYTES = 1024 * 1024 * 1024  # address space of the child (Python + a 2 MB file)
CHILDREN = 2                       # files read at once by one gateway process
_children = None                   # their semaphore, made on first use (in the hub's thread)


def parse(filename: str, content: bytes, seconds: float = SECONDS):
    """orgimport.parse(filename, content), done by a child process; InvalidInput naming
    the file when the child takes longer than `seconds` or fails without an answer, and
    ServiceUnavailable when CHILDREN files are being read already for `seconds`."""
    global _children
    import eventlet.semaphore

    from services.contracts.errors import ServiceUnavailable

    _children = _children or eventlet.semaphore.Semaphore(CHILDREN)
    if not _children.acquire(timeout=seconds):
        raise ServiceUnavailable("other organisation files are being read; try again in a "
                                 "moment", {"field": "file"})
    try:
        return _parse(filename, content, seconds)
    finally:
        _children.release()


def _parse(filename: str, content: bytes, seconds: float):
    import eventlet
    from eventlet.green import subprocess

    from services.contracts.errors import InvalidInput
    from services.contracts.models import Organisation
    from services.gateway.ui import orgimport
    from services.gateway.ui.render import N_

    # only the extension of the name matters; an argument holds no NUL and has a length
    name = filename.replace("\x00", "")[-200:]
    child = subprocess.Popen([sys.executable, "-m", __name__, name],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
    out = b""
    try:
        with eventlet.Timeout(seconds):
            out, _ = child.communicate(content)
    except eventlet.Timeout:
        orgimport.refuse(N_("the file could not be read within %(seconds)s seconds"),
                         {"seconds": f"{seconds:g}"})
    except OSError:       # the child ended before reading it all: no answer below
        pass
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    try:
        answer = json.loads(out)
    except ValueError:    # ended by its memory or CPU limit: no answer
        orgimport.refuse(N_("the file could not be read: it needs too much memory or time"))
    if "invalid" in answer:
        raise InvalidInput(answer["invalid"]["message"], answer["invalid"]["details"])
    return Organisation.model_validate(answer["organisation"])


def _child(filename: str) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (SECONDS + 1, SECONDS + 1))
    from services.contracts.errors import InvalidInput
    from services.gateway.ui import orgimport

    content = sys.stdin.buffer.read(orgimport.MAX_BYTES + 1)
    try:
        answer = {"organisation": orgimport.parse(filename, content).model_dump(mode="json")}
    except InvalidInput as exc:
        answer = {"invalid": {"message": exc.message, "details": exc.details}}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))


if __name__ == "__main__":
    _child(sys.argv[1])
