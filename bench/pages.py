"""Page image benchmark (issue 13, point 3): `GET /api/versions/{vid}/pages/{n}` the
first time a page is asked for (drawn with pdftoppm, stored) and when it is cached,
against a raw MinIO GET of the very same object, interleaved in the same run.

A 1,000-page text PDF is uploaded to a running Procedura (an isolated environment on the
local stack, every service a process) and rendered by the rendition worker (a PDF is its
own rendition). Then, one request at a time, as a reader of the document:
- uncached: `--pages` different pages, each asked for the first time;
- cached: the same pages again, full answers (no If-None-Match);
- 304: the same pages with If-None-Match (what a browser sends once it has them);
- raw: a GET of the same page object straight from MinIO (presigned URL, no gateway, no
  RPC), interleaved with the cached asks so both see the same load.
Also the rendition worker's peak resident memory (VmHWM) after the run.

With `--backlog N`: N DOCX files are uploaded at once afterwards (LibreOffice renditions,
one slot), and a cached page is asked for every second until they are all rendered: its
time against the number still pending (does a backlog hold the worker's RPCs up?).

Run: `.venv/bin/python bench/pages.py --pages 60 [--backlog 16]`
"""
from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.options import int_options  # noqa: E402
from bench.running import password_of, running_procedura  # noqa: E402
from devenv.environment import eventually, minio_admin  # noqa: E402
from procedura_cli.badfiles import text_pdf  # noqa: E402
from procedura_cli.client import Client  # noqa: E402
from services.renditions.domain import page_key  # noqa: E402

AUTHOR = "ana.popescu"
WIDTH = 200


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(call) -> float:
    t0 = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - t0
    assert response.status_code in (200, 304), (response.status_code, response.text[:300])
    return elapsed


def peak_memory(run_dir: Path, name: str) -> str:
    pid = (run_dir / f"{name}.pid").read_text().strip()
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmHWM", "VmRSS")):
            print(f"  {name} {line}")
    return pid


def main() -> None:
    args = int_options(__doc__, pages=60, total_pages=1000, backlog=0)
    pdf = text_pdf([[f"Pagina {n} din procedura"] * 40
                    for n in range(1, args.total_pages + 1)])
    with running_procedura("bpg", env={"PROCEDURA_RENDITION_SLOTS": "1"}) as (environment,
                                                                            org):
        client = Client.login(environment.gateway, AUTHOR, password_of(org, AUTHOR))
        document = client.post("/api/documents", {
            "code": "PO-DJ-901", "title": "Procedură de o mie de pagini", "type": "PO",
            "owner_department": "DJ", "distribution": ["DJ"]})
        t0 = time.perf_counter()
        version = client.upload(document["id"], "mare.pdf", pdf, "", "application/pdf")
        vid = version["id"]
        eventually(lambda: client.get(f"/api/versions/{vid}")["rendition"]["status"] == "done",
                   timeout=300, interval=0.5)
        print(f"{len(pdf):,} bytes, {args.total_pages} pages: rendition done "
              f"{time.perf_counter() - t0:.1f} s after upload")
        wanted = [1 + (n * 997) % args.total_pages for n in range(args.pages)]
        path = f"/api/versions/{vid}/pages/{{}}?width={WIDTH}"
        ask = (lambda n, **headers: client.request("GET", path.format(n), headers=headers))

        timed(lambda: ask(wanted[0]))           # warm-up: the worker's local copy is made
        uncached = [timed(lambda: ask(n)) for n in wanted[1:]]
        etags = {n: ask(n).headers["ETag"] for n in wanted}
        minio = minio_admin()
        urls = {n: minio.presigned_get_object(environment.bucket, page_key(vid, n, WIDTH, "png"),
                                              expires=timedelta(minutes=30)) for n in wanted}
        plain = requests.Session()      # no bearer token: MinIO refuses two kinds of auth
        cached, raw, not_modified = [], [], []
        for n in wanted:
            cached.append(timed(lambda: ask(n)))
            raw.append(timed(lambda: plain.get(urls[n], timeout=30)))
            not_modified.append(timed(lambda: ask(n, **{"If-None-Match": etags[n]})))

        print(f"\n{args.pages} pages of {args.total_pages}, width {WIDTH}, PNG, one at a time")
        print("| path | p50 | p95 |\n|---|---|---|")
        for name, values in (("gateway, first ask (drawn)", uncached),
                             ("gateway, cached (200)", cached),
                             ("gateway, cached (304, If-None-Match)", not_modified),
                             ("raw MinIO GET of the same object", raw)):
            print(f"| {name} | {p(values, 0.5) * 1000:.1f} ms | {p(values, 0.95) * 1000:.1f} ms |")
        drawn = list(minio.list_objects(environment.bucket, prefix=f"pages/{vid}/",
                                        recursive=True))
        print(f"\npage images in the bucket after the run: {len(drawn)} "
              f"({len(set(wanted))} pages asked for, of {args.total_pages})")
        print(f"load average: {open('/proc/loadavg').read().split()[:3]}")
        peak_memory(Path(environment.env["PROCEDURA_RUN_DIR"]), "renditions")
        if args.backlog:
            under_backlog(client, args.backlog, lambda: timed(lambda: ask(wanted[0])))


def under_backlog(client: Client, files: int, ask) -> None:
    from procedura_cli.docgen import docx_bytes
    from devenv.samples import BODY, DOCX

    ids = []
    for n in range(files):
        document = client.post("/api/documents", {
            "code": f"PO-DJ-{910 + n}", "title": "Procedură de convertit", "type": "PO",
            "owner_department": "DJ", "distribution": ["DJ"]})
        ids.append(client.upload(document["id"], "p.docx", docx_bytes(f"P {n}", BODY * 20),
                                 "", DOCX)["id"])
    print(f"\n{files} DOCX uploaded; a cached page asked for while they are rendered")
    print("| renditions pending | page answered in |\n|---|---|")
    started = time.monotonic()
    while time.monotonic() - started < 600:
        pending = [client.get(f"/api/versions/{v}")["rendition"]["status"]
                   for v in ids].count("pending")
        print(f"| {pending} | {ask() * 1000:.0f} ms |", flush=True)
        if not pending:
            break
        time.sleep(1)


if __name__ == "__main__":
    main()
