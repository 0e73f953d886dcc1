"""Acknowledgement benchmark: the distribution list report of a revision with a large
list, "what I still have to confirm" for a person with many pending revisions, and how
long an approval takes to reach a mailbox.

Measures, in the same run, the SQL the notifications service runs (raw, psycopg2), the
RPC (the service, over RabbitMQ) and the gateway. The e-mail latency is from the
approval's response to the message's arrival at a real SMTP server (devenv/mailserver.py).
Run: `.venv/bin/python bench/acknowledgements.py --people 2000 --pending 200 --calls 200`.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.feed import percentiles, timed  # noqa: E402
from bench.running import password_of, running_procedura  # noqa: E402
from procedura_cli.client import Client  # noqa: E402
from procedura_cli.docgen import docx_bytes  # noqa: E402

READER, QUALITY = "radu.munteanu", "elena.dumitrascu"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CHAIN = (("ana.popescu", "submit"), ("stefan.ionescu", "verify"),
         ("mihai.tudose", "endorse"), ("daniel.balan", "approve"))


def approve_one(login, n: int) -> tuple[dict, dict]:
    author = login("ana.popescu")
    document = author.post("/api/documents", {
        "code": f"PO-DJ-{uuid.uuid4().int % 10**8:08d}", "title": f"Procedura de test {n}",
        "type": "PO", "owner_department": "DJ", "distribution": ["DJ"]})
    version = author.upload(document["id"], "p.docx",
                            docx_bytes("p", "# Procedură\n\n## 1. Scop\nTest."), "", DOCX)
    for username, action in CHAIN:
        login(username).act(version["id"], action)
    return document, version


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--pending", type=int, default=200)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--mails", type=int, default=5)
    args = parser.parse_args()
    from devenv.mailserver import MailServer

    with running_procedura("a") as (environment, org):
        from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

        clients: dict[str, Client] = {}

        def login(username: str) -> Client:
            if username not in clients:
                clients[username] = Client.login(environment.gateway, username,
                                                 password_of(org, username))
            return clients[username]

        mail = MailServer(int(environment.env["PROCEDURA_SMTP_PORT"]),
                          Path(environment.env["PROCEDURA_RUN_DIR"]) / "bench-mail.jsonl").start()
        address = "radu.munteanu@bench.example"
        login(READER).request("PUT", "/api/me/preferences",
                              json={"email_delivery": "immediate", "email_address": address})
        latencies = []
        for n in range(args.mails):
            document, version = approve_one(login, n)
            approved = time.monotonic()
            while not [m for m in mail.messages() if "este în vigoare" in m["body"]
                       and document["code"] in m["subject"]]:
                if time.monotonic() - approved > 30:
                    raise SystemExit("no e-mail within 30 s")
                time.sleep(0.05)
            latencies.append(time.monotonic() - approved)
        mail.stop()
        vid = version["id"]

        db = psycopg2.connect(environment.database_url)
        with db, db.cursor() as cur:
            # a big list on the last revision, and many pending revisions for the reader
            cur.execute("""INSERT INTO notifications.acknowledgements
                               (version_id, username, full_name, department, function,
                                notified_at, acknowledged_at)
                           SELECT %s, 'bench.' || i, 'Persoana ' || i, 'D' || (i %% 40),
                                  'Referent', now(),
                                  CASE WHEN i %% 2 = 0 THEN now() END
                           FROM generate_series(1, %s) AS i""", (vid, args.people))
            cur.execute("""INSERT INTO notifications.distribution_lists
                               (version_id, document_id, code, title, edition, revision,
                                owner_department, distribution, confidential, in_force_on,
                                due_date)
                           SELECT v, gen_random_uuid(), 'PO-X-' || i, 'Procedura ' || i, 1, 0,
                                  'DJ', ARRAY['DJ'], false, current_date, current_date + 7
                           FROM (SELECT gen_random_uuid() AS v, i
                                 FROM generate_series(1, %s) AS i) s""", (args.pending,))
            cur.execute("""INSERT INTO notifications.acknowledgements
                               (version_id, username, full_name, department, function,
                                notified_at)
                           SELECT version_id, %s, 'Radu Munteanu', 'DJ', 'Consilier juridic',
                                  now()
                           FROM notifications.distribution_lists WHERE code LIKE 'PO-X-%%'""",
                        (READER,))
            cur.execute("ANALYZE notifications.acknowledgements")
            cur.execute("ANALYZE notifications.distribution_lists")

        select = """SELECT a.version_id, l.document_id, l.code, l.title, l.edition,
                           l.revision, l.due_date, l.confidential, l.closed_at, a.username,
                           a.full_name, a.department, a.function, a.notified_at,
                           a.acknowledged_at
                    FROM notifications.acknowledgements a
                    JOIN notifications.distribution_lists l USING (version_id)"""

        def raw_report():
            with db.cursor() as cur:
                cur.execute("SELECT due_date FROM notifications.distribution_lists "
                            "WHERE version_id = %s", (vid,))
                cur.fetchone()
                cur.execute("""SELECT username, full_name, department, function,
                                      notified_at, acknowledged_at
                               FROM notifications.acknowledgements WHERE version_id = %s
                               ORDER BY department, full_name""", (vid,))
                cur.fetchall()
            db.rollback()

        def raw_pending():
            with db.cursor() as cur:
                cur.execute(select + """ WHERE a.username = %s AND a.acknowledged_at IS NULL
                                           AND l.closed_at IS NULL
                                         ORDER BY l.due_date, l.code""", (READER,))
                cur.fetchall()
            db.rollback()

        people = args.people + 3
        print(f"e-mail: approval response → message at the SMTP server, {args.mails} "
              f"approvals: median {statistics.median(latencies):.2f} s, "
              f"max {max(latencies):.2f} s")
        print(f"report of one revision with {people} people; {args.pending} revisions "
              f"pending for one person; {args.calls} calls each")
        print("| path | p50 | p95 |")
        print("|---|---|---|")
        print(f"| report: SQL (psycopg2, the service's two queries) "
              f"| {percentiles(timed(raw_report, args.calls))} |")
        with ClusterRpcProxy(environment.config(), timeout=30) as rpc:
            samples = timed(lambda: rpc.notifications.acknowledgement_report(vid), args.calls)
            print(f"| report: `notifications.acknowledgement_report` RPC | {percentiles(samples)} |")
            quality = login(QUALITY)
            samples = timed(lambda: quality.get(f"/api/versions/{vid}/acknowledgements"),
                            args.calls)
            print(f"| report: `GET /api/versions/{{vid}}/acknowledgements` | {percentiles(samples)} |")
            samples = timed(lambda: quality.request(
                "GET", f"/api/versions/{vid}/acknowledgements", params={"format": "csv"}),
                args.calls)
            print(f"| report: the same as CSV | {percentiles(samples)} |")
            print(f"| pending: SQL (psycopg2) | {percentiles(timed(raw_pending, args.calls))} |")
            samples = timed(lambda: rpc.notifications.pending_acknowledgements(READER),
                            args.calls)
            print(f"| pending: `notifications.pending_acknowledgements` RPC | {percentiles(samples)} |")
            reader = login(READER)
            samples = timed(lambda: reader.get("/api/me/acknowledgements"), args.calls)
            print(f"| pending: `GET /api/me/acknowledgements` | {percentiles(samples)} |")
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
