"""Isolation benchmark: upload → searchable of text documents while a batch of scanned
pages is being OCR'd, against the same without the batch, in the same run (issue 13:
OCR never sits in front of text extraction; target ≤ 1.2x).

Every service runs as a process in an isolated environment (bench/running.py), the
rendition worker with them. Phase 1 (quiet): `--texts` one-page text PDFs are uploaded
one after the other, each waited for until its version is in the search index. Phase 2
(busy): `--scans` image-only PDFs of `--pages-per-scan` scanned pages each
(procedura_cli/scans.py) are uploaded, then the same number of text PDFs the same way;
the run checks that OCR was still going when the last text became searchable.
Run: `.venv/bin/python bench/isolation.py --texts 15 --scans 5 --pages-per-scan 10`.
"""
from __future__ import annotations

import io
import statistics
import sys
import time
import uuid
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.options import int_options  # noqa: E402
from bench.ingest import Watcher, register_all  # noqa: E402
from bench.running import password_of, running_procedura  # noqa: E402
from procedura_cli import scans  # noqa: E402
from procedura_cli.badfiles import text_pdf  # noqa: E402
from procedura_cli.client import Client  # noqa: E402


def text_latencies(client: Client, documents: list[str], watcher: Watcher) -> list[float]:
    """Upload a text PDF to each document in turn; seconds until each is searchable."""
    latencies = []
    for n, document_id in enumerate(documents):
        token = uuid.uuid4().hex[:10]
        data = text_pdf([[f"Procedura de test {n}", f"cuvant unic {token}",
                          "Primaria municipiului stabileste modul de intocmire."]])
        started = time.time()
        version = client.upload(document_id, f"text-{n}.pdf", io.BytesIO(data), "",
                                "application/pdf")
        watcher.expect(version["id"])
        deadline = started + 300
        while version["id"] not in watcher.seen:
            if time.time() > deadline:
                raise TimeoutError(f"text {n} not searchable after 300 s")
            time.sleep(0.05)
        latencies.append(watcher.seen[version["id"]] - started)
    return latencies


def ocr_pending(database_url: str, version_ids: list[str]) -> int:
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM versioning.versions WHERE id::text = ANY(%s) "
                    "AND rendition_status = 'pending'", (version_ids,))
        (count,) = cur.fetchone()
    conn.close()
    return count


def main() -> int:
    args = int_options(__doc__, texts=15, scans=5, pages_per_scan=10)
    scan_pdfs = []
    for s in range(args.scans):
        pages = [scans.scan_page(seed=100 * s + n, page=n)
                 for n in range(1, args.pages_per_scan + 1)]
        out = io.BytesIO()
        pages[0].save(out, "PDF", resolution=200.0, save_all=True, append_images=pages[1:])
        scan_pdfs.append(out.getvalue())
    with running_procedura("iso") as (environment, org):
        password = password_of(org, "ana.popescu")
        client = Client.login(environment.gateway, "ana.popescu", password)
        documents = register_all(environment, password, 2 * args.texts + args.scans)
        texts_quiet = documents[:args.texts]
        texts_busy = documents[args.texts:2 * args.texts]
        scanned = documents[2 * args.texts:]
        watcher = Watcher(environment.index)
        watcher.start()
        text_latencies(client, documents[:2], watcher)  # warm-up: first calls, untimed
        quiet = text_latencies(client, texts_quiet, watcher)
        scan_versions = [client.upload(doc, f"scan-{i}.pdf", io.BytesIO(data), "",
                                       "application/pdf")["id"]
                         for i, (doc, data) in enumerate(zip(scanned, scan_pdfs))]
        busy = text_latencies(client, texts_busy, watcher)
        pending_after = ocr_pending(environment.database_url, scan_versions)
        watcher.stopping = True
    q50, b50 = statistics.median(quiet), statistics.median(busy)
    print(f"texts: {args.texts} per phase; batch: {args.scans} scans x "
          f"{args.pages_per_scan} pages = {args.scans * args.pages_per_scan} pages")
    print("| phase | upload→searchable p50 (s) | max (s) |")
    print("|---|---|---|")
    print(f"| without the batch | {q50:.2f} | {max(quiet):.2f} |")
    print(f"| while the batch is OCR'd | {b50:.2f} | {max(busy):.2f} |")
    print(f"ratio p50: {b50 / q50:.2f} (target ≤ 1.2); scans still without a rendition "
          f"when the last text was searchable: {pending_after} of {args.scans}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
