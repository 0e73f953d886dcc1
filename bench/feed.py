"""Feed benchmark: one page of a person's feed when they have 10,000 items.

Measures, in the same run, the SQL the notifications service runs (raw, psycopg2), the
`notifications.feed` RPC (the service, over RabbitMQ) and `GET /api/feed` (through the
gateway). Run: `.venv/bin/python bench/feed.py --items 10000 --calls 300`.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.options import int_options  # noqa: E402
from bench.running import password_of, running_procedura  # noqa: E402
from procedura_cli.client import Client  # noqa: E402

USER = "radu.munteanu"


def percentiles(samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    return f"{statistics.median(samples) * 1000:.1f} ms | {p95 * 1000:.1f} ms"


def timed(call, calls: int) -> list[float]:
    call()  # warm
    out = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)
    return out


def main() -> int:
    args = int_options(__doc__, items=10_000, calls=300)
    with running_procedura("f") as (environment, org):
        from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

        db = psycopg2.connect(environment.database_url)
        with db, db.cursor() as cur:
            cur.execute("""INSERT INTO notifications.feed_items
                               (username, department, event_id, kind, document_id, version_id,
                                code, title, message, read_at)
                           SELECT %s, 'DJ', gen_random_uuid(), 'version_approved',
                                  gen_random_uuid(), gen_random_uuid(), 'PO-DJ-' || i,
                                  'Procedura ' || i, 'Procedura ' || i || ' a fost aprobată.',
                                  CASE WHEN i %% 3 = 0 THEN NULL ELSE now() END
                           FROM generate_series(1, %s) AS i""", (USER, args.items))
            cur.execute("ANALYZE notifications.feed_items")

        def raw():
            with db.cursor() as cur:
                cur.execute("""SELECT id, kind, document_id, version_id, code, title, message,
                                      created_at, read_at IS NOT NULL AS read
                               FROM notifications.feed_items WHERE username = %s
                               ORDER BY id DESC LIMIT 50""", (USER,))
                cur.fetchall()
                cur.execute("""SELECT count(*) FROM notifications.feed_items
                               WHERE username = %s AND read_at IS NULL""", (USER,))
                cur.fetchone()
            db.rollback()

        print(f"{args.items} feed items for one person, page of 50, {args.calls} calls each")
        print("| path | p50 | p95 |")
        print("|---|---|---|")
        print(f"| SQL (psycopg2, the service's two queries) | {percentiles(timed(raw, args.calls))} |")
        with ClusterRpcProxy(environment.config(), timeout=30) as rpc:
            samples = timed(lambda: rpc.notifications.feed(USER, None, 50, None), args.calls)
        print(f"| `notifications.feed` RPC (the service) | {percentiles(samples)} |")
        client = Client.login(environment.gateway, USER, password_of(org, USER))
        samples = timed(lambda: client.get("/api/feed"), args.calls)
        print(f"| `GET /api/feed` (gateway: token, user lookup RPC, feed RPC) "
              f"| {percentiles(samples)} |")
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
