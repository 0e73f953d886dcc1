"""`procedura renditions rebuild [--missing|--all]`: PDF renditions for the versions
without one (`--missing`, the default: everything uploaded before renditions existed,
or whose rendition was interrupted) or made again for every version (`--all`, e.g. after
LibreOffice or the OCR settings changed). The rendition worker does the work in its
background, a few at a time; this command follows it, one progress line every few
seconds, until no version waits (exit 0), or gives up after --timeout (exit 1: the
worker goes on; run it again to follow). `--no-wait` only starts it (scripts/services.sh
does so after every start, so an upgrade renders the versions it finds).

Hooked into procedura_cli/main.py with `renditions_cli.register(sub)`.
"""
from __future__ import annotations

import argparse
import sys
import time


def _line(progress: dict) -> str:
    return (f"renditions: {progress['done']} done, {progress['failed']} failed, "
            f"{progress['waiting']} waiting"
            + (f" ({progress['extracting']} more after their text extraction)"
               if progress.get("extracting") else ""))


def cmd_rebuild(args) -> int:
    from procedura_cli.localenv import operator_config
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

    scope = "all" if args.all else "missing"
    with ClusterRpcProxy(operator_config(args.config), timeout=args.rpc_timeout) as rpc:
        started = rpc.renditions.rebuild(scope)
        print(f"rebuild --{scope}: {started['reset']} renditions to make again, "
              f"{started['waiting']} waiting"
              + ("" if started["started"] else " (a rebuild was already running)"),
              flush=True)
        if args.no_wait:
            return 0
        deadline = time.monotonic() + args.timeout
        last = None
        while True:
            progress = rpc.renditions.progress()
            line = _line(progress)
            if line != last:
                print(line, flush=True)
                last = line
            if progress["waiting"] == 0:
                return 0
            if time.monotonic() > deadline:
                print(f"rebuild: {progress['waiting']} still waiting after {args.timeout:g} s "
                      "(the worker goes on; run this again to follow it)", file=sys.stderr)
                return 1
            time.sleep(args.interval)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `renditions` to the `procedura` command."""
    renditions = subparsers.add_parser("renditions", help="PDF renditions of versions",
                                       description=__doc__,
                                       formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = renditions.add_subparsers(dest="renditions_command", required=True)
    rebuild = verbs.add_parser("rebuild", help="render versions without a rendition "
                                               "(--missing) or every version (--all)")
    which = rebuild.add_mutually_exclusive_group()
    which.add_argument("--missing", action="store_true",
                       help="versions without a rendition (the default)")
    which.add_argument("--all", action="store_true", help="every version, again")
    rebuild.add_argument("--no-wait", action="store_true",
                         help="start the rebuild and return")
    rebuild.add_argument("--timeout", type=float, default=3600,
                         help="follow the rebuild this long at most (s, default 3600)")
    rebuild.add_argument("--interval", type=float, default=5,
                         help="seconds between progress lines (default 5)")
    rebuild.add_argument("--rpc-timeout", type=float, default=60, help="RPC timeout (s)")
    rebuild.set_defaults(func=cmd_rebuild)
