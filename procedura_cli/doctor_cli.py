"""`procedura doctor`: stuck or inconsistent items, exit 1 when there is any.

  pending      a version still without text after --pending-after seconds
  failed       a version whose extraction failed (with the reason); --accept-failed
               lists them without counting them as problems
  rendition-pending  a version without its PDF rendition after
               --rendition-pending-after seconds (`procedura renditions rebuild`)
  rendition-failed   a version whose rendition failed (with the reason; --accept-failed
               as for extraction)
  not-indexed  an extracted (or failed) version missing from the search index
  stale-index  an indexed version whose entry disagrees with the register (e.g. its
               text is not in the index although it was extracted)
  outbox       events of a service not relayed to RabbitMQ after --outbox-after seconds
  queue        a queue with messages waiting and no consumer (a stopped service)
  revoked-cached  a token or session revoked more than --revoked-after seconds ago that
               the gateway still accepts (procedura_cli/doctor_sessions.py)
  orphan-object an object no version names, older than --orphans-after seconds: a
               staged upload never stored, an original, text, rendition or page image
               without its version

Hooked into procedura_cli/main.py with `doctor_cli.register(sub)`.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from urllib.parse import quote

import requests

from procedura_cli.broker import management_api
from procedura_cli.doctor_sessions import revoked_session_findings
from procedura_cli.localenv import operator_config
from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy
from services.common.settings import Settings
from services.common.tokens import Tokens

# Each service is asked over RPC about what it holds: doctor reads no service's tables or
# index itself. The services that relay their events through an outbox (outbox_backlog):
OUTBOXES = ("documents", "versioning", "notifications")


@dataclass
class Finding:
    kind: str
    item: str
    detail: str
    problem: bool = True


def extraction_findings(versioning, pending_after: float, accept_failed: bool) -> list[Finding]:
    found = versioning.extraction_problems(pending_after, 1000)
    findings = [Finding("pending", p["id"], f"{p['filename']}: no text since {p['created_at']}"
                                            f" ({p['extraction_attempts']} Tika drops)")
                for p in found["pending"]]
    findings += [Finding("failed", f["id"], f"{f['filename']}: {f['extraction_error']}",
                         problem=not accept_failed) for f in found["failed"]]
    return findings


def rendition_findings(renditions, pending_after: float,
                       accept_failed: bool) -> list[Finding]:
    """Versions without a PDF rendition long after their upload (the rendition worker
    stopped, or never ran: `procedura renditions rebuild --missing`), and failed ones."""
    found = renditions.rendition_problems(pending_after, 1000)
    findings = [Finding("rendition-pending", p["id"],
                        f"{p['filename']}: no rendition since {p['created_at']} "
                        f"(text extraction {p['extraction_status']}, "
                        f"{p['rendition_attempts']} attempts)")
                for p in found["pending"]]
    findings += [Finding("rendition-failed", f["id"], f"{f['filename']}: {f['rendition_error']}",
                         problem=not accept_failed) for f in found["failed"]]
    return findings


def orphan_findings(versioning, older_than: float) -> list[Finding]:
    """Objects in storage that no version names (nothing should be left by a request
    that failed); the IT team removes them after a look."""
    return [Finding("orphan-object", f"{o['bucket']}:{o['key']}",
                    f"{o['size']} bytes, last written {o['last_modified']}, no version "
                    "names it")
            for o in versioning.orphan_objects(older_than, 1000)]


def index_findings(search) -> list[Finding]:
    """The search service compares its index with the register (`search verify`)."""
    report = search.verify_index()
    findings = [Finding("not-indexed", vid, "extraction finished, not in the search index")
                for vid in report["missing"]]
    findings += [Finding("stale-index", vid, f"index differs on {', '.join(fields)}")
                 for vid, fields in report["stale"].items()]
    findings += [Finding("orphan-index", vid, "in the search index, not in the register")
                 for vid in report["orphan"]]
    return findings


def outbox_findings(rpc, older_than: float) -> list[Finding]:
    """Events each service has kept longer than `older_than` seconds without relaying."""
    findings = []
    for service in OUTBOXES:
        backlog = getattr(rpc, service).outbox_backlog(older_than)
        if backlog["count"]:
            findings.append(Finding("outbox", service,
                                    f"{backlog['count']} events not relayed, "
                                    f"oldest from {backlog['oldest']}"))
    return findings


def queue_findings(amqp_uri: str) -> list[Finding]:
    api, auth, vhost = management_api(amqp_uri)
    response = requests.get(f"{api}/queues/{quote(vhost, safe='')}", auth=auth, timeout=10)
    response.raise_for_status()
    return [Finding("queue", q["name"], f"{q.get('messages', 0)} messages, no consumer")
            for q in response.json()
            if q.get("messages", 0) and not q.get("consumers", 0)
            and not q["name"].startswith("rpc.reply")]


def diagnose(args) -> list[Finding]:
    config = operator_config(args.config)
    settings = Settings.from_config(config)
    findings: list[Finding] = []
    with ClusterRpcProxy(config, timeout=args.timeout) as rpc:
        findings += extraction_findings(rpc.versioning, args.pending_after, args.accept_failed)
        findings += rendition_findings(rpc.renditions, args.rendition_pending_after,
                                       args.accept_failed)
        findings += orphan_findings(rpc.versioning, args.orphans_after)
        findings += index_findings(rpc.search)
        findings += revoked_session_findings(
            rpc.documents, args.gateway or f"http://{config['WEB_SERVER_ADDRESS']}",
            Tokens(settings.secret("auth_secret"), settings.token_ttl_seconds),
            args.revoked_after, Finding)
        findings += outbox_findings(rpc, args.outbox_after)
    findings += queue_findings(config["AMQP_URI"])
    return findings


def cmd_doctor(args) -> int:
    try:
        findings = diagnose(args)
    except Exception as exc:  # a doctor that cannot look is itself a finding
        print(f"doctor: could not check everything: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([asdict(f) for f in findings], ensure_ascii=False, indent=2))
    else:
        for finding in findings:
            print(f"{finding.kind:12} {finding.item}  {finding.detail}")
    problems = [f for f in findings if f.problem]
    print("no stuck or inconsistent items" if not problems else
          f"{len(problems)} problems ({', '.join(sorted({f.kind for f in problems}))})",
          file=sys.stderr)
    return 1 if problems else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `doctor` to the `procedura` command."""
    command = subparsers.add_parser("doctor", help="report stuck or inconsistent items",
                                    description=__doc__,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
    command.add_argument("--pending-after", type=float, default=600,
                         help="a version without text for longer is stuck (s, default 600)")
    command.add_argument("--outbox-after", type=float, default=60,
                         help="an event not relayed for longer is stuck (s, default 60)")
    command.add_argument("--orphans-after", type=float, default=3600,
                         help="an object no version names, older than this, is an orphan "
                              "(s, default 3600)")
    command.add_argument("--rendition-pending-after", type=float, default=1800,
                         help="a version without a PDF rendition for longer is stuck "
                              "(s, default 1800)")
    command.add_argument("--accept-failed", action="store_true",
                         help="list failed extractions and renditions without counting "
                              "them as problems")
    command.add_argument("--timeout", type=float, default=120, help="RPC timeout (s)")
    command.add_argument("--revoked-after", type=float, default=15,
                         help="a session revoked longer ago must be refused by the gateway "
                              "(s, default 15: the gateway remembers a person for 5 s)")
    command.add_argument("--gateway", default=None,
                         help="the gateway to check (default: http://WEB_SERVER_ADDRESS)")
    command.add_argument("--json", action="store_true")
    command.set_defaults(func=cmd_doctor)
