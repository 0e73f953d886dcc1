"""`procedura verify-integrity` and `procedura audit verify [--anchor H]`: the stored
originals and the audit trail checked again (exit 1 on a problem). `backup restore`
runs both to prove a restore.

Hooked into procedura_cli/main.py with `integrity_cli.register(sub)`.
"""
from __future__ import annotations

import argparse
import re
import sys

from procedura_cli.localenv import operator_config
from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy


def cmd_audit_verify(args) -> int:
    with ClusterRpcProxy(operator_config(args.config), timeout=600) as rpc:
        result = rpc.documents.verify_audit(args.anchor)
    if "broken_at" in result:
        print(f"audit trail broken at entry {result['broken_at']} "
              f"(after {result['entries']} good entries)", file=sys.stderr)
        return 1
    if result["anchors_missing"]:
        print(f"audit trail rewritten: {len(result['anchors_missing'])} hash(es) written "
              f"down earlier are no longer in the chain: "
              f"{', '.join(result['anchors_missing'])}", file=sys.stderr)
        return 1
    anchored = f", {len(args.anchor)} earlier hash(es) found" if args.anchor else ""
    print(f"audit trail intact: {result['entries']} entries{anchored}\n"
          f"last entry's hash: {result['last_hash']}\n"
          f"(keep it outside Procedura, e.g. in the quality office's records, and check "
          f"it later with --anchor)")
    return 0


def _hash(value: str) -> str:
    if not re.fullmatch(r"[0-9a-fA-F]{64}", value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an audit hash (64 hexadecimal characters)")
    return value.lower()


def cmd_verify_integrity(args) -> int:
    with ClusterRpcProxy(operator_config(args.config), timeout=args.timeout) as rpc:
        result = rpc.versioning.verify_integrity()
    for problem in result["problems"]:
        print(f"{problem['problem']:9} {problem['version_id']}")
    print(f"checked {result['checked']} stored originals, {len(result['problems'])} problems",
          file=sys.stderr)
    return 1 if result["problems"] else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `verify-integrity` and `audit verify` to the `procedura` command."""
    integrity = subparsers.add_parser("verify-integrity",
                                      help="hash every stored original against its manifest")
    integrity.add_argument("--timeout", type=float, default=3600)
    integrity.set_defaults(func=cmd_verify_integrity)
    audit = subparsers.add_parser("audit").add_subparsers(dest="audit_command", required=True)
    verify = audit.add_parser("verify", help="check the hash chain of the audit trail")
    verify.add_argument("--anchor", action="append", type=_hash, default=[], metavar="HASH",
                        help="a hash printed by an earlier verification: it must still be "
                             "in the chain (repeatable)")
    verify.set_defaults(func=cmd_audit_verify)
