"""`procedura staff deactivate USERNAME` and `procedura staff revoke USERNAME`: an
operator ends a person's access at once, without editing the organisation file (someone
left today, a laptop was stolen). Every API token and web session of theirs stops
working on every gateway within seconds; `deactivate` also refuses their next login
(until an organisation file names them active again).

Hooked into procedura_cli/main.py with `staff_cli.register(sub)`.
"""
from __future__ import annotations

import argparse
import sys


def cmd_staff(args) -> int:
    from procedura_cli.localenv import operator_config
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy
    from services.contracts.errors import NotFound

    with ClusterRpcProxy(operator_config(args.config), timeout=args.timeout) as rpc:
        try:
            if args.staff_command == "deactivate":
                ended = rpc.documents.deactivate(args.username)
            else:
                ended = rpc.documents.revoke_sessions(args.username)
        except NotFound as exc:
            print(f"staff: {exc.message}", file=sys.stderr)
            return 1
    print(f"{args.username}: {ended} sessions and tokens ended"
          + (", deactivated" if args.staff_command == "deactivate" else ""))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `staff` to the `procedura` command."""
    staff = subparsers.add_parser("staff", help="end a person's access at once",
                                  description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = staff.add_subparsers(dest="staff_command", required=True)
    for verb, text in (("deactivate", "no more logins; every session and token ends"),
                       ("revoke", "every session and token ends; the person may log in "
                                  "again")):
        command = verbs.add_parser(verb, help=text)
        command.add_argument("username")
        command.add_argument("--timeout", type=float, default=60, help="RPC timeout (s)")
        command.set_defaults(func=cmd_staff)
