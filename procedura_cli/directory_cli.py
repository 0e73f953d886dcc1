"""`procedura directory sync [--dry-run] [--force]`: bring Procedura's staff in line with
the city hall's directory now (the documents service also does it every
auth.ldap.sync_interval_seconds). Prints who was added, changed and deactivated, and
the problems; exit 1 when the directory could not be reached, the sync was refused (it
would deactivate too many people: --force once the directory is known to be right) or a
person could not be taken (e.g. a department not in the register).
`procedura directory status`: the directory's address, whether it answers, the last syncs.

Hooked into procedura_cli/main.py with `directory_cli.register(sub)`.
"""
from __future__ import annotations

import argparse
import sys


def cmd_sync(args) -> int:
    from procedura_cli.localenv import operator_config
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy
    from services.contracts.errors import Conflict, ServiceUnavailable

    print("directory: reading every person of the directory"
          + (" (dry run: nothing changes)" if args.dry_run else ""), flush=True)
    with ClusterRpcProxy(operator_config(args.config), timeout=args.timeout) as rpc:
        try:
            result = rpc.documents.sync_directory(None, args.dry_run, args.force)
        except (ServiceUnavailable, Conflict) as exc:
            print(f"directory: {exc.message}", file=sys.stderr)
            return 1
    print_report(result)
    report = result["report"]
    return 0 if result["outcome"] == "done" and not report.get("errors") else 1


def print_report(result: dict) -> None:
    applied = result["outcome"] == "done" and not result["dry_run"]
    report, verb = result["report"], "" if applied else "would be "
    print(f"sync {result['id']}: {result['outcome']}; {report.get('people', 0)} people "
          "in the directory")
    for person in report.get("added", ()):
        print(f"  {verb}added       {person['username']} ({person['department']}; "
              f"{', '.join(person['roles'])})")
    for person in report.get("changed", ()):
        changes = "; ".join(f"{name}: {old} -> {new}"
                            for name, (old, new) in person["changes"].items())
        print(f"  {verb}changed     {person['username']}: {changes}")
    for person in report.get("deactivated", ()):
        print(f"  {verb}deactivated {person['username']} ({person['why']})")
    for problem in report.get("errors", ()):
        print(f"  error       {problem['username']}: {problem['problem']}", file=sys.stderr)
    if result.get("error"):
        print(f"sync {result['id']}: {result['error']}", file=sys.stderr)


def cmd_status(args) -> int:
    from procedura_cli.localenv import operator_config
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

    with ClusterRpcProxy(operator_config(args.config), timeout=args.timeout) as rpc:
        status = rpc.documents.directory_status(None)
    print(f"backend: {status['backend']}")
    if status["backend"] == "ldap":
        print(f"directory: {status['address']}: "
              + ("answers" if status["reachable"] else f"cannot be reached ({status['error']})"))
        for sync in status["syncs"]:
            report = sync["report"] or {}
            print(f"  sync {sync['id']} {sync['started_at']} {sync['trigger']}: "
                  f"{sync['outcome']}{' (dry run)' if sync['dry_run'] else ''}, "
                  f"{len(report.get('added', []))} added, {len(report.get('changed', []))} "
                  f"changed, {len(report.get('deactivated', []))} deactivated, "
                  f"{len(report.get('errors', []))} errors")
    return 0 if status["backend"] == "local" or status["reachable"] else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `directory` to the `procedura` command."""
    directory = subparsers.add_parser("directory", help="the city hall's directory: sync, status",
                                      description=__doc__,
                                      formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = directory.add_subparsers(dest="directory_command", required=True)
    sync = verbs.add_parser("sync", help="bring the staff in line with the directory now")
    sync.add_argument("--dry-run", action="store_true", help="report what would change")
    sync.add_argument("--force", action="store_true",
                      help="deactivate even more than auth.ldap.max_deactivate_share")
    sync.set_defaults(func=cmd_sync)
    status = verbs.add_parser("status", help="the directory's connection and the last syncs")
    status.set_defaults(func=cmd_status)
    for command in (sync, status):
        command.add_argument("--timeout", type=float, default=300, help="RPC timeout (s)")
