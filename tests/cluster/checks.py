"""What the fault run checks afterwards, each a Check (what, ok, the numbers), and the
fault table as Markdown (it pastes into docs/scaling.md, "Cluster fault run (measured)")."""
from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import psycopg2.extras

from devenv.environment import ROOT, TestEnvironment
from procedura_cli.client import Client
from tests.cluster.faults import Fault
from tests.cluster.load import SOURCES, Load, Request, Subscriber

GRACE = 10.0       # seconds after a part is whole again that still count as its window
QUIET = 20.0       # seconds of load with every part whole before the next fault
TAIL = 60.0        # and after the last one
SETTLE = 300.0     # seconds the services may take after the load to catch up


@dataclass
class Check:
    what: str
    ok: bool
    detail: str


def _rows(environment: TestEnvironment, query: str, params: tuple = ()) -> list[dict]:
    """The rows of a query, tried again while the database refuses the connection (its
    slots taken by the services' pools, a failover not over)."""
    for attempt in range(10):
        try:
            with psycopg2.connect(environment.database_url) as conn:
                with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                    cur.execute(query, params)
                    rows = cur.fetchall()
            conn.close()
            return rows
        except psycopg2.OperationalError:
            if attempt == 9:
                raise
            time.sleep(3)
    return []


def judged(what: str, check) -> list[Check]:
    """A check's results, or a failed Check naming what stopped it."""
    try:
        found = check()
    except Exception as exc:   # the run's measurements are printed all the same
        return [Check(what, False, f"stopped by {type(exc).__name__}: {str(exc)[:300]}")]
    return found if isinstance(found, list) else [found]


def _procedura(environment: TestEnvironment, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / ".venv" / "bin" / "procedura"), *args],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, **environment.environ()})


def settle(environment: TestEnvironment, subscriber: Subscriber) -> None:
    """Until every version is extracted and rendered and every outbox relayed and
    received (or SETTLE seconds): the checks then judge what stayed, not what is late."""
    deadline = time.monotonic() + SETTLE
    while time.monotonic() < deadline:
        pending = _rows(environment, "SELECT count(*) AS n FROM versioning.versions "
                                     "WHERE extraction_status = 'pending' "
                                     "OR rendition_status = 'pending'")[0]["n"]
        unrelayed = sum(_rows(environment, f"SELECT count(*) AS n FROM {s}.outbox "
                                           "WHERE published_at IS NULL")[0]["n"]
                        for s in SOURCES)
        received = {i for _, i, _ in subscriber.deliveries}
        relayed = set(_relayed(environment, subscriber.bound_at))
        if not pending and not unrelayed and relayed <= received:
            return
        time.sleep(2)


def _relayed(environment: TestEnvironment, since: float = 0.0) -> dict[str, str]:
    """{id: type} of the events relayed, of those recorded after `since` (time.time():
    events recorded while the services started, before the subscriber's queue was
    bound, are nobody's to receive)."""
    return {str(r["id"]): r["type"] for s in SOURCES for r in _rows(
        environment, f"SELECT id, type FROM {s}.outbox WHERE published_at IS NOT NULL "
                     "AND created_at >= to_timestamp(%s)", (since,))}


def uploads_stored_and_searchable(environment, load: Load) -> Check:
    uploads = load.record.uploads
    stored = Counter()
    for row in _rows(environment, "SELECT document_id, sha256 FROM versioning.versions "
                                  "WHERE document_id = ANY(%s::uuid[])",
                     ([u.document_id for u in uploads],)):
        stored[(str(row["document_id"]), row["sha256"])] += 1
    not_once = [u.version_id for u in uploads if stored[(u.document_id, u.sha256)] != 1]
    author = load.login("ana.popescu")
    unsearchable = [u.version_id for u in uploads if not _found(author, u)]
    integrity = _procedura(environment, "verify-integrity")
    ok = uploads and not not_once and not unsearchable and integrity.returncode == 0
    return Check("every upload answered 2xx is stored once with its sha256 and searchable",
                 bool(ok), f"{len(uploads)} uploads; not stored exactly once: {not_once[:5]}; "
                           f"not found by their token: {unsearchable[:5]}; verify-integrity "
                           f"exit {integrity.returncode} {integrity.stdout.strip()[-200:]}")


def _found(author: Client, upload) -> bool:
    for _ in range(3):
        response = author.request("GET", "/api/search", params={
            "q": upload.token, "document_id": upload.document_id, "scope": "work"})
        if response.status_code == 200:
            return any(h["version_id"] == upload.version_id for h in response.json()["hits"])
        time.sleep(1)
    return False


def approvals_reached_everyone_once(environment, load: Load, org: dict) -> Check:
    people = {}
    for user in org["users"]:
        people.setdefault(user["department"], set()).add(user["username"])
    wrong = []
    acknowledged = Counter((who, vid) for who, vid, recorded in load.record.acknowledged
                           if recorded)
    for approval in load.record.approvals:
        expected = set().union(*(people.get(d, set()) for d in approval.distribution))
        feed = Counter(r["username"] for r in _rows(
            environment, "SELECT username FROM notifications.feed_items "
                         "WHERE version_id = %s AND kind = 'version_approved'",
            (approval.version_id,)))
        listed = _rows(environment, "SELECT username, acknowledged_at FROM "
                                    "notifications.acknowledgements WHERE version_id = %s",
                       (approval.version_id,))
        confirmed = {r["username"] for r in listed if r["acknowledged_at"]}
        mine = {who for (who, vid) in acknowledged if vid == approval.version_id}
        if set(feed) != expected or set(feed.values()) != {1}:
            wrong.append(f"{approval.version_id} feed {dict(feed)}")
        if {r["username"] for r in listed} != expected:
            wrong.append(f"{approval.version_id} list {sorted(r['username'] for r in listed)}")
        if not mine <= confirmed or any(acknowledged[(w, approval.version_id)] > 1
                                        for w in mine):
            wrong.append(f"{approval.version_id} acknowledged {sorted(mine)} recorded "
                         f"{sorted(confirmed)}")
    return Check("every approval reached each person on its distribution list exactly once "
                 "(feed, acknowledgement)", bool(load.record.approvals) and not wrong,
                 f"{len(load.record.approvals)} approvals, {len(load.record.acknowledged)} "
                 f"acknowledgements; wrong: {wrong[:5]}")


def stream_got_each_item_once(environment, load: Load) -> Check:
    """Radu's live feed: every item of his between the first and the last it brought
    (items are numbered as written) arrived, none twice."""
    seen = Counter(event["id"] for _, event in load.record.streamed)
    first = min((t for t, _ in load.record.streamed), default=None)
    items = {r["id"] for r in _rows(
        environment, "SELECT id FROM notifications.feed_items WHERE username = %s",
        ("radu.munteanu",))}
    lowest, highest = min(seen, default=0), max(seen, default=0)
    missing = sorted(i for i in items if lowest < i < highest and i not in seen)
    twice = sorted(i for i, n in seen.items() if n > 1)
    return Check("the live stream brought each of its feed items once, across reconnections",
                 first is not None and not missing and not twice,
                 f"{len(seen)} items streamed, {sum(1 for r in load.record.requests if r.type == 'stream')} "
                 f"connections; missing {missing[:5]}; twice {twice[:5]}")


def events_once_for_the_subscriber(environment, subscriber: Subscriber) -> Check:
    """docs/events/README.md: at least once, dedupe by id. Every relayed event arrived;
    copies are counted (what the subscriber's dedupe absorbs), nothing foreign came."""
    deadline = time.monotonic() + 120    # the subscriber still runs: the last may be on the way
    while True:
        relayed = _relayed(environment, subscriber.bound_at)
        ids = Counter(i for _, i, _ in subscriber.deliveries)
        lost = set(relayed) - set(ids)
        if not lost or time.monotonic() > deadline:
            break
        time.sleep(2)
    foreign = set(ids) - set(_relayed(environment))
    copies = sum(ids.values()) - len(ids)
    return Check("no event lost for the plain subscriber; copies only of the same id "
                 "(at least once, its dedupe by id)", bool(relayed) and not lost and not foreign,
                 f"{len(relayed)} events relayed, {len(ids)} received, lost {len(lost)} "
                 f"{Counter(relayed[i] for i in lost)} {sorted(lost)[:3]}, foreign {len(foreign)}, copies delivered again "
                 f"{copies}, subscriber reconnections {subscriber.reconnections}")


def audit_and_doctor(environment) -> list[Check]:
    audit = _procedura(environment, "audit", "verify")
    doctor = _procedura(environment, "doctor")
    return [Check("the audit trail verifies (procedura audit verify)", audit.returncode == 0,
                  (audit.stdout + audit.stderr).strip()[-300:]),
            Check("procedura doctor is clean", doctor.returncode == 0,
                  (doctor.stdout + doctor.stderr).strip()[-600:])]


def windows(faults: list[Fault]) -> list[tuple[float, float]]:
    return [(f.killed_at, f.healthy_at + GRACE) for f in faults if f.part and f.healthy_at]


def server_errors(requests_: list[Request], faults: list[Fault], began: float,
                  logs: dict[str, Path]) -> Check:
    """No 5xx but 503 inside a fault's window (begun in it, or in flight when it began),
    and no request left without an answer but inside one (a gateway's death cuts its
    connections); none at all outside one: the QUIET stretches between faults and the
    TAIL after the last are outside every window. Each one outside
    is named: when, its route, who answered, Procedura's reason, and the lines of the
    answering gateway's log (services/gateway/entrypoints.py logs every 5xx) and of
    HAProxy's about it."""
    spans = windows(faults)
    # a request in flight when the part died counts too (begun just before the kill, it
    # waited on what died: a 503 at its deadline)
    bad = [r for r in requests_ if (r.status >= 500 or r.status == 0) and not (
        r.status in (503, 0) and any(r.end >= a and r.start <= b for a, b in spans))]
    return Check("no 5xx and no unanswered request but 503s and cut connections inside "
                 "a failover window", not bad,
                 f"{len(bad)} outside every window" + "".join(
                     "\n    " + traced(r, began, logs) for r in bad[:20]))


def reason(request: Request) -> str:
    """Procedura's error code and message of the answer, else its first characters."""
    try:
        error = json.loads(request.detail)["error"]
        return f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return " ".join(request.detail.split())[:160]


def traced(request: Request, began: float, logs: dict[str, Path]) -> str:
    """One failed request and what the logs say of it."""
    when = time.strftime("%H:%M:%S", time.gmtime(request.at)) + f".{int(request.at * 1000) % 1000:03d}"
    lines = [f"+{request.start - began:.1f} s ({when} UTC, {request.end - request.start:.1f} s) "
             f"{request.type} {request.route} -> {request.status} from {request.gateway or '?'}: "
             f"{reason(request)}"]
    path = request.route.split(" ", 1)[-1]
    for name in (request.gateway, "haproxy"):
        for line in log_lines(logs.get(name), request, path):
            lines.append(f"      {name}: {line}")
    return "\n    ".join(lines)


GATEWAY_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}),(\d{3}) ")
HAPROXY_TIME = re.compile(r"\[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2})\.(\d{3})\]")


def log_lines(log: Path | None, request: Request, path: str, slack: float = 2.0) -> list[str]:
    """The lines of a gateway's or HAProxy's log naming `path` with the request's status,
    written between its start and its end (+ slack); their times are the machine's local
    time, as time.time() is."""
    if log is None or not log.is_file() or not path:
        return []
    # the route's ids are {id} in the record, themselves in the logs
    route = re.compile(re.escape(path).replace(re.escape("{id}"), "[0-9a-f-]{36}") + r"[ ?\"]")
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if not route.search(line) or f" {request.status}" not in line:
            continue
        stamp = GATEWAY_TIME.search(line)
        form = "%Y-%m-%d %H:%M:%S"
        if not stamp:
            stamp, form = HAPROXY_TIME.search(line), "%d/%b/%Y:%H:%M:%S"
        if not stamp:
            continue
        try:
            at = time.mktime(time.strptime(stamp.group(1), form)) + int(stamp.group(2)) / 1000
        except ValueError:
            continue
        if request.at - slack <= at <= request.at + (request.end - request.start) + slack:
            found.append(line.strip()[:400])
    return found[:4]


def longest_unavailable(requests_: list[Request], start: float, end: float) -> tuple[float, str]:
    """The longest run of failed requests of one type begun inside [start, end]: from the
    first failure to the start of the next success of that type."""
    worst, kind = 0.0, "-"
    for name in sorted({r.type for r in requests_}):
        mine = sorted((r for r in requests_ if r.type == name), key=lambda r: r.start)
        failing_since = None
        for r in mine:
            failed = not 200 <= r.status < 300 and r.status != 409
            if failed and failing_since is None and start <= r.start <= end:
                failing_since = r.start
            elif not failed and failing_since is not None:
                if r.start - failing_since > worst:
                    worst, kind = r.start - failing_since, name
                failing_since = None
    return worst, kind


def fault_table(requests_: list[Request], faults: list[Fault], began: float) -> str:
    """One row per fault; its window (from the kill to GRACE s after it was whole again,
    in seconds of load) is where its requests are counted and a 503 is forgiven."""
    lines = ["| fault | part killed -9 | window (s of load) | down for | whole again after | "
             "requests | failed (rate) | of which 503 | no answer | longest unavailable (type) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for fault in faults:
        if not fault.part:
            lines.append(f"| {fault.kind} | not run: {fault.not_run} | | | | | | | | |")
            continue
        end = fault.healthy_at + GRACE
        inside = [r for r in requests_ if fault.killed_at <= r.start <= end]
        # a 409 is the answer to a signature tried again after one whose answer was lost
        failed = [r for r in inside if not 200 <= r.status < 300 and r.status != 409]
        worst, kind = longest_unavailable(requests_, fault.killed_at, end)
        rate = len(failed) / len(inside) if inside else 0.0
        note = f" ({'; '.join(fault.notes)})" if fault.notes else ""
        lines.append(
            f"| {fault.kind} | {fault.part.name}{note} | "
            f"{fault.killed_at - began:.0f}-{end - began:.0f} | "
            f"{fault.healed_at - fault.killed_at:.0f} s | {fault.recovery:.0f} s | "
            f"{len(inside)} | {len(failed)} ({rate:.1%}) | "
            f"{sum(r.status == 503 for r in failed)} | {sum(r.status == 0 for r in failed)} | "
            f"{worst:.1f} s ({kind}) |")
    return "\n".join(lines)


def request_summary(requests_: list[Request]) -> str:
    lines = ["| request type | count | 2xx | 503 | other 4xx/5xx | no answer | p50 | p95 |",
             "|---|---|---|---|---|---|---|---|"]
    for name in sorted({r.type for r in requests_}):
        mine = [r for r in requests_ if r.type == name]
        times = sorted(r.end - r.start for r in mine if 200 <= r.status < 300) or [0.0]
        lines.append(
            f"| {name} | {len(mine)} | {sum(200 <= r.status < 300 for r in mine)} | "
            f"{sum(r.status == 503 for r in mine)} | "
            f"{sum(r.status >= 400 and r.status != 503 for r in mine)} | "
            f"{sum(r.status == 0 for r in mine)} | {times[len(times) // 2]:.2f} s | "
            f"{times[int(len(times) * 0.95) - 1 if len(times) > 1 else 0]:.2f} s |")
    return "\n".join(lines)
