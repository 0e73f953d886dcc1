"""Run an engine as a child process with a hard deadline and nothing left behind.

The child starts in its own session, so it and everything it spawns (soffice starts
oosplash and soffice.bin) share one process group that a
single killpg ends. Its address space is capped so a hostile file ends in an error of
that one child, not in the kernel's out-of-memory killer choosing a victim.

A caller killed outright (SIGKILL, the out-of-memory killer) runs no `finally`: the
kernel ends the child then (PR_SET_PDEATHSIG), so an engine never outlives the worker
that started it. That reaches the child only, not what it forks: LibreOffice's children
are ended by the PID namespace it runs in (services/renditions/engines/libreoffice.py), and a
worker starting sweeps what dead workers left (services/renditions/engines/engine.py).
"""
from __future__ import annotations

import ctypes
import os
import resource
import select
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass


_POLL_SECONDS = 0.02
_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True)


class Deadline(Exception):
    """The child ran past its deadline and its whole process group was killed."""


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str | bytes
    stderr: str
    seconds: float


def run(argv: list[str], *, timeout: float, memory_limit: int | None = None,
        env: dict | None = None, cwd: str | None = None, text: bool = True,
        feed: Callable[[], bytes] | None = None, niceness: int = 0) -> Finished:
    """Run argv to completion within `timeout` seconds, or kill its process group and
    raise Deadline. Either way no process of the group is left when this returns.
    `feed` makes what the child reads on its standard input; it is called once the
    child has started, so the caller's work runs while the child loads. `niceness`
    lowers the CPU priority of the child and of everything it starts."""

    parent = os.getpid()

    def limit():  # runs in the child between fork and exec
        # the signal comes when the thread that forked ends: run() waits in that thread
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:   # the caller died before the line above took hold
            os._exit(1)
        if memory_limit:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
        if niceness:
            os.nice(niceness)

    started = time.monotonic()
    # output goes to files and the deadline is our own: no pipe a grandchild could hold
    # open, and no reliance on subprocess's TimeoutExpired, which eventlet's patched
    # subprocess raises as a class of its own
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(argv, stdout=out, stderr=err,
                                 stdin=subprocess.PIPE if feed else subprocess.DEVNULL,
                                 start_new_session=True, preexec_fn=limit, env=env, cwd=cwd)
        try:
            if feed:
                _send(child, feed(), started + timeout)
            _wait(child, started + timeout)
            if child.poll() is None:
                kill_group(child.pid)
                child.wait()
                raise Deadline(f"{os.path.basename(argv[0])} ran past {timeout:g} s")
        finally:
            # a grandchild that outlived its parent's exit goes too
            kill_group(child.pid)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    return Finished(child.returncode, stdout.decode(errors="replace") if text else stdout,
                    stderr.decode(errors="replace"), time.monotonic() - started)


def _send(child: subprocess.Popen, data: bytes, deadline: float) -> None:
    """Write `data` to the child's standard input and close it, giving up at the
    deadline (which _wait then enforces). A child that stops reading says why by its
    exit, so a closed pipe ends the writing quietly."""
    fd = child.stdin.fileno()
    os.set_blocking(fd, False)   # a full pipe must not hold us past the deadline
    view = memoryview(data)
    try:
        while view and time.monotonic() < deadline:
            if select.select([], [fd], [], max(0.0, deadline - time.monotonic()))[1]:
                try:
                    view = view[os.write(fd, view):]
                except BlockingIOError:
                    pass
    except BrokenPipeError:
        pass
    finally:
        try:
            child.stdin.close()
        except BrokenPipeError:
            pass


def child_environment(*inherited: str, **values: str) -> dict[str, str]:
    """The environment of an engine's child process. It gets nothing of this process's
    environment but PATH (/usr/bin:/bin when there is none) and the variables named in
    `inherited` that are set, so no secret reaches a program reading a hostile file;
    `values` are set on top. The only place under services/ that reads the process
    environment besides the settings: what it passes on are not Procedura's settings."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    env.update({key: os.environ[key] for key in inherited if key in os.environ})
    env.update(values)
    return env


def _wait(child: subprocess.Popen, deadline: float) -> None:
    """Return when the child has exited or the deadline has come. A pidfd wakes the
    moment it exits (polling every 20 ms cost a tenth of a second on each OCR'd page's
    three children); where there is none, poll."""
    try:
        pidfd = os.pidfd_open(child.pid)
    except (AttributeError, OSError):
        pidfd = None
    try:
        while child.poll() is None:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if pidfd is None:
                time.sleep(min(_POLL_SECONDS, left))
            else:
                select.select([pidfd], [], [], left)
    finally:
        if pidfd is not None:
            os.close(pidfd)


def kill_group(pgid: int, wait: float = 5.0) -> None:
    """SIGKILL every process of the group, and return once none of them runs any more, or
    after `wait` seconds. A killed process runs on until the kernel has torn it down, a
    moment on a busy machine (a grandchild was still found right after a deadline once)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
    ends = time.monotonic() + wait
    while _group_runs(pgid) and time.monotonic() < ends:
        time.sleep(_POLL_SECONDS)


def _group_runs(pgid: int) -> bool:
    """Whether a process of the group runs (a zombie, ended but not yet reaped, does not)."""
    for _pid, stat in _each_process("stat"):
        state, _parent, group = stat[stat.rindex(b")") + 2:].split()[:3]
        if int(group) == pgid and state != b"Z":
            return True
    return False


def _each_process(entry: str):
    """(pid, /proc/<pid>/<entry>'s bytes) of every process still there as it is read."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/{entry}", "rb") as fh:
                yield int(pid), fh.read()
        except OSError:   # ended meanwhile
            continue


def alive(pid: int) -> bool:
    """Whether a process `pid` runs (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def using(folder: str) -> list[int]:
    """Live processes whose command line names a path under `folder` (a worker's profiles
    or scratch folder); zombies name nothing."""
    marker = (folder.rstrip("/") + "/").encode()
    return [pid for pid, cmdline in _each_process("cmdline") if marker in cmdline]


def kill_using(folder: str) -> int:
    """SIGKILL every process working under `folder`; how many were sent it."""
    killed = 0
    for pid in using(folder):
        try:
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except (ProcessLookupError, PermissionError):
            pass
    return killed
