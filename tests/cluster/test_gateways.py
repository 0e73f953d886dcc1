"""Two processes of every service and two gateways behind HAProxy
(scripts/cluster/services.sh): requests spread over both gateways; a gateway killed with
-9 under steady uploads, searches and feed reads is taken out by HAProxy, and the live
feed's stream (server-sent events) resumes on the other without losing or repeating an
item; one process of each service killed with -9 in turn, its twin carries on.

Run only when asked (`-m cluster`, tests/cluster/conftest.py), on whatever engines
`scripts/cluster.sh up services` connected to (clusters when they run):

    .venv/bin/python -m pytest -m cluster -s tests/cluster/test_gateways.py

The figures (errors, longest gaps, HAProxy's reaction) are printed (-s shows them)."""
from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import pytest
import requests

from procedura_cli.client import Client
from procedura_cli.demo import organisation
from procedura_cli.docgen import docx_bytes
from tests.testenv import eventually

pytestmark = pytest.mark.cluster

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY = "Procedura operațională de înregistrare a petițiilor, pe două porți."
AUTHOR, SIGNER = "ana.popescu", "stefan.ionescu"


# ------------------------------------------------------------ an EventSource, as the spec says

class EventSource:
    """A client of `text/event-stream` that follows the HTML standard's EventSource
    (https://html.spec.whatwg.org/multipage/server-sent-events.html): fields id, event,
    data, retry; an event is dispatched at a blank line, and its `id` becomes the last
    event ID even when it has no data; when the connection drops it waits the
    reconnection time (`retry`) and connects again sending `Last-Event-ID`; a response
    other than 200 text/event-stream fails it for good (no more reconnects)."""

    def __init__(self, session: requests.Session, url: str, last_event_id: str = ""):
        self.session, self.url = session, url
        self.last_event_id = last_event_id
        self.reconnection_seconds = 3.0     # until the server says (retry:)
        self.events: list[tuple[float, str, str, str]] = []   # (at, id, type, data)
        self.connections: list[tuple[float, int | str, str, str]] = []  # (at, status, gateway, sent id)
        self.drops: list[tuple[float, str]] = []
        self.failed: str | None = None
        self._response: requests.Response | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def gateway(self) -> str:
        """The gateway serving the current connection (HAProxy's X-Procedura-Gateway)."""
        return self.connections[-1][2] if self.connections else ""

    def close(self) -> None:
        """Stop: the socket is shut down under the reader (closing the response from
        here would re-enter the reader's own close)."""
        self._stop.set()
        connection = getattr(self._response.raw, "_connection", None) if self._response else None
        if connection is not None and connection.sock is not None:
            try:
                connection.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(timeout=20)

    def _run(self) -> None:
        while not self._stop.is_set():
            headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
            if self.last_event_id:
                headers["Last-Event-ID"] = self.last_event_id
            try:
                response = self.session.get(self.url, headers=headers, stream=True,
                                            timeout=(5, 60))
            except requests.RequestException as exc:   # a network error: reconnect
                self.drops.append((time.monotonic(), f"connect: {exc.__class__.__name__}"))
                self._stop.wait(self.reconnection_seconds)
                continue
            self._response = response
            self.connections.append((time.monotonic(), response.status_code,
                                     response.headers.get("X-Procedura-Gateway", ""),
                                     self.last_event_id))
            if (response.status_code != 200 or not response.headers.get(
                    "Content-Type", "").startswith("text/event-stream")):
                self.failed = f"{response.status_code} {response.text[:200]}"
                return
            try:
                self._read(response)
                self.drops.append((time.monotonic(), "closed by the server"))
            except Exception as exc:   # the connection broke (a gateway died)
                self.drops.append((time.monotonic(), exc.__class__.__name__))
            finally:
                response.close()
            self._stop.wait(self.reconnection_seconds)

    def _read(self, response: requests.Response) -> None:
        data: list[str] = []
        event_type, id_buffer = "", self.last_event_id
        for line in response.iter_lines(decode_unicode=True):
            if self._stop.is_set():
                return
            if line == "":                      # dispatch
                self.last_event_id = id_buffer
                if data:
                    self.events.append((time.monotonic(), id_buffer,
                                        event_type or "message", "\n".join(data)))
                data, event_type = [], ""
                continue
            if line.startswith(":"):            # a comment (keep-alive)
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "id" and "\0" not in value:
                id_buffer = value
            elif name == "event":
                event_type = value
            elif name == "data":
                data.append(value)
            elif name == "retry" and value.isdigit():
                self.reconnection_seconds = int(value) / 1000

    def ids(self) -> list[int]:
        """The feed items received (the bodies' ids: the `id:` lines are resume tokens)."""
        return [json.loads(data)["id"] for _, _, kind, data in self.events
                if kind == "notification"]


# ------------------------------------------------------------ helpers

@dataclass
class Call:
    kind: str
    started: float
    ended: float
    status: int | str
    gateway: str = ""

    @property
    def ok(self) -> bool:
        return isinstance(self.status, int) and self.status < 400


@dataclass
class Load:
    """Steady requests of a few kinds, each in its own thread, every call recorded."""
    calls: list[Call] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def add(self, kind: str, call, pause: float) -> None:
        def loop():
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    response = call()
                    status, gateway = response.status_code, response.headers.get(
                        "X-Procedura-Gateway", "")
                except requests.RequestException as exc:
                    status, gateway = exc.__class__.__name__, ""
                self.calls.append(Call(kind, started, time.monotonic(), status, gateway))
                self.stop.wait(pause)
        thread = threading.Thread(target=loop, daemon=True)
        self.threads.append(thread)
        thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=90)

    def report(self, since: float) -> dict[str, dict]:
        """Per kind: calls, failures (with their statuses) and the longest time without a
        successful answer, all from `since` (the kill)."""
        figures = {}
        for kind in sorted({c.kind for c in self.calls}):
            calls = sorted((c for c in self.calls if c.kind == kind), key=lambda c: c.ended)
            after = [c for c in calls if c.ended >= since]
            failed = [c for c in after if not c.ok]
            answered = [since] + [c.ended for c in after if c.ok]
            gap = max((b - a for a, b in zip(answered, answered[1:])), default=float("inf"))
            slowest = max((c.ended - c.started for c in after), default=0.0)
            figures[kind] = {"calls": len(after), "failed": len(failed),
                             "statuses": dict(Counter(str(c.status) for c in failed)),
                             "longest_gap_s": round(gap, 2), "slowest_call_s": round(slowest, 2)}
        return figures


def print_table(title: str, figures: dict[str, dict]) -> None:
    print(f"\n{title}")
    print(f"  {'kind':<14} {'calls':>5} {'failed':>6} {'longest gap':>12} {'slowest':>8}  failures")
    for kind, f in figures.items():
        print(f"  {kind:<14} {f['calls']:>5} {f['failed']:>6} {f['longest_gap_s']:>11.2f}s"
              f" {f['slowest_call_s']:>7.2f}s  {f['statuses'] or ''}")


def kill(pid: int) -> float:
    os.kill(pid, signal.SIGKILL)
    return time.monotonic()


@pytest.fixture(scope="module")
def people(process_cluster):
    """Clients through HAProxy, the demo organisation loaded (local passwords)."""
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

    org = organisation()
    with ClusterRpcProxy(process_cluster.config(), timeout=60) as rpc:
        rpc.documents.load_organisation(org)
    passwords = {u["username"]: u["password"] for u in org["users"]}
    return {name: Client.login(process_cluster.url, name, passwords[name])
            for name in (AUTHOR, SIGNER)}


def new_document(author: Client) -> dict:
    return author.post("/api/documents", {
        "code": f"PO-DJ-{uuid.uuid4().int % 10**8:08d}", "title": "Două porți",
        "type": "PO", "owner_department": "DJ", "distribution": ["DJ"],
        "confidential": False})


def submitted(people, document: dict) -> dict:
    """A revision waiting for the signer: one feed item for him."""
    version = people[AUTHOR].upload(document["id"], "p.docx", docx_bytes("p", BODY), "", DOCX)
    people[AUTHOR].act(version["id"], "submit")
    return version


def resubmit(people, version_id: str) -> None:
    """Returned by the signer (an item for the author), submitted again (one for him)."""
    people[SIGNER].act(version_id, "reject", "Încă o dată, vă rog")
    people[AUTHOR].act(version_id, "submit")


def signer_items(people, version_id: str) -> list[int]:
    return sorted(i["id"] for i in people[SIGNER].get("/api/feed", limit=200)["items"]
                  if i["version_id"] == version_id and i["kind"] == "version_submitted")


def until_both_up(process_cluster, timeout: float = 180) -> None:
    eventually(lambda: set(process_cluster.servers().values()) == {"UP"}, timeout=timeout)


class TakenOut:
    """Watches, from the kill on, how long HAProxy keeps `server` UP."""

    def __init__(self, process_cluster, server: str, killed_at: float):
        self.seconds: float | None = None

        def watch():
            eventually(lambda: not process_cluster.servers()[server].startswith("UP"),
                       timeout=30, interval=0.05)
            self.seconds = time.monotonic() - killed_at
        self._thread = threading.Thread(target=watch, daemon=True)
        self._thread.start()

    def wait(self) -> float:
        self._thread.join(timeout=40)
        assert self.seconds is not None, "HAProxy never took the killed gateway out"
        return self.seconds


# ------------------------------------------------------------ the tests

def test_both_gateways_serve(process_cluster, people):
    print("\nengines:", *process_cluster.engines, sep="\n  ")
    served = Counter()
    for _ in range(40):
        response = people[SIGNER].request("GET", "/api/feed", params={"limit": 1})
        assert response.status_code == 200
        served[response.headers["X-Procedura-Gateway"]] += 1
    print(f"40 feed reads through HAProxy: {dict(served)}")
    assert set(served) == {"gateway-1", "gateway-2"}
    assert min(served.values()) >= 10


def test_the_live_feed_survives_its_gateway_killed(process_cluster, people):
    until_both_up(process_cluster)
    n = None
    document = new_document(people[AUTHOR])
    version = submitted(people, document)
    first = eventually(lambda: signer_items(people, version["id"]))[-1]
    stream = EventSource(people[SIGNER].session, process_cluster.url + "/api/feed/stream",
                         last_event_id=str(first))
    try:
        eventually(lambda: stream.connections, timeout=30)
        resubmit(people, version["id"])                        # an item while connected
        eventually(lambda: len(stream.ids()) == 1, timeout=30)
        server = stream.gateway
        n = int(server.rsplit("-", 1)[1])
        killed_at = kill(process_cluster.pid("gateway", n))
        watch = TakenOut(process_cluster, server, killed_at)
        for _ in range(3):                                     # items while it is away
            resubmit(people, version["id"])
        taken_out = watch.wait()
        eventually(lambda: len(stream.connections) >= 2, timeout=30)
        resubmit(people, version["id"])                        # and one live afterwards
        expected = [i for i in eventually(lambda: (lambda items: items if len(items) == 6 else None)(
            signer_items(people, version["id"])), timeout=60) if i > first]
        eventually(lambda: sorted(stream.ids()) == expected, timeout=60)
        time.sleep(2)                                          # nothing more comes, twice
        resumed = stream.connections[1]
        print(f"\nlive feed: stream on {server}, killed -9; HAProxy took it out after "
              f"{taken_out:.2f} s; the stream dropped ({stream.drops[0][1]}) and came back "
              f"on {resumed[2]} after {resumed[0] - killed_at:.2f} s with Last-Event-ID "
              f"{resumed[3]}; items {stream.ids()} (expected {expected})")
        assert stream.failed is None
        assert resumed[2] != server and resumed[1] == 200
        assert stream.ids() == expected                        # each once, in order
    finally:
        stream.close()
        if n is not None:
            process_cluster.start("gateway", n)
            until_both_up(process_cluster)


def test_a_gateway_killed_under_steady_requests(process_cluster, people):
    until_both_up(process_cluster)
    author, signer = people[AUTHOR], people[SIGNER]
    document = new_document(author)
    uploads: list[str] = []
    # each upload's change summary names it, so a version stored by a request that got no
    # 201 (the gateway died after documents recorded it) is known by where it came from
    asked: dict[str, list] = {}         # summary -> [started, status or None]

    def upload():
        summary = f"Încărcarea {len(asked) + 1}"
        asked[summary] = [time.monotonic(), None]
        response = author.request("POST", f"/api/documents/{document['id']}/versions",
                                  files={"file": ("p.docx", docx_bytes("p", BODY), DOCX)},
                                  data={"change_summary": summary})
        asked[summary][1] = response.status_code
        if response.status_code == 201:
            uploads.append(response.json()["id"])
        return response

    load = Load()
    load.add("upload", upload, 1.0)
    load.add("search", lambda: signer.request("GET", "/api/search", params={"q": "petițiilor"}), 0.2)
    load.add("feed", lambda: signer.request("GET", "/api/feed", params={"limit": 5}), 0.2)
    load.add("document", lambda: signer.request("GET", f"/api/documents/{document['id']}"), 0.2)
    stream = EventSource(signer.session, process_cluster.url + "/api/feed/stream")
    try:
        time.sleep(6)
        before = load.report(0)
        killed_at = kill(process_cluster.pid("gateway", 1))
        taken_out = TakenOut(process_cluster, "gateway-1", killed_at).wait()
        time.sleep(15)
    finally:
        load.finish()
        stream.close()
        process_cluster.start("gateway", 1)
    figures = load.report(killed_at)
    print_table(f"gateway-1 killed -9 under load (HAProxy took it out after {taken_out:.2f} s; "
                f"before the kill: {sum(f['calls'] for f in before.values())} calls, "
                f"{sum(f['failed'] for f in before.values())} failed)", figures)
    print(f"  served after the kill: {dict(Counter(c.gateway for c in load.calls if c.ended > killed_at + taken_out))}")
    print(f"  feed stream: connections {[(round(at - killed_at, 2), s, g) for at, s, g, _ in stream.connections]}")
    until_both_up(process_cluster)
    # every upload answered 201 is stored, once
    history = author.get(f"/api/documents/{document['id']}/versions")
    stored = {v["id"]: v["change_summary"] for v in history["items"]}
    assert set(uploads) <= set(stored), (stored, uploads)
    assert len(set(stored.values())) == len(stored), stored          # no request twice
    # an upload the dead gateway was handling fails (502 or a cut connection), never more
    # than the one in flight; if documents had recorded it before the gateway died, its
    # version is there (whole: the person sees it in the history), though unanswered
    unanswered = {s: asked[s] for i, s in stored.items() if i not in uploads}
    print(f"  uploads: {len(asked)} sent, {len(uploads)} answered 201, {len(stored)} stored; "
          f"stored without a 201: {unanswered}")
    assert all(status != 201 and started < killed_at + taken_out
               for started, status in unanswered.values()), unanswered
    assert len(unanswered) <= 1, unanswered
    assert all(f["failed"] == 0 for kind, f in figures.items() if kind != "upload"), figures
    assert figures["upload"]["failed"] <= 1, figures
    assert taken_out < 5
    assert stream.failed is None


PROBES = {   # a request through the gateways that needs the service, or an event it handles
    "documents": "document", "versioning": "versions", "search": "search",
    "notifications": "feed"}


def test_one_process_of_each_service_killed_in_turn(process_cluster, people):
    until_both_up(process_cluster)
    author, signer = people[AUTHOR], people[SIGNER]
    document = new_document(author)
    version = submitted(people, document)
    eventually(lambda: signer_items(people, version["id"]))
    calls = {
        "document": lambda: signer.request("GET", f"/api/documents/{document['id']}"),
        "versions": lambda: signer.request("GET", f"/api/documents/{document['id']}/versions"),
        "search": lambda: signer.request("GET", "/api/search", params={"q": "porți"}),
        "feed": lambda: signer.request("GET", "/api/feed", params={"limit": 5})}
    killed: list[tuple[str, int]] = []
    results = {}
    try:
        for service in ("documents", "versioning", "search", "notifications", "extraction",
                        "renditions"):
            load = Load()
            for kind, call in calls.items():
                load.add(kind, call, 0.2)
            time.sleep(2)
            n = 1 + len(killed) % 2
            killed_at = kill(process_cluster.pid(service, n))
            killed.append((service, n))
            # events the twin must handle, once: a resubmission (notifications: one item
            # for the signer), an upload (extraction, renditions, search)
            before = len(signer_items(people, version["id"]))
            resubmit(people, version["id"])
            token = f"poarta{uuid.uuid4().hex[:10]}"
            fresh_document = new_document(author)
            fresh = author.upload(fresh_document["id"], "q.docx",
                                  docx_bytes("q", f"{BODY} {token}"), "", DOCX)
            eventually(lambda: (lambda got: got if len(got) > before else None)(
                signer_items(people, version["id"])), timeout=90)
            searchable = eventually(lambda: [h for h in author.get(
                "/api/search", q=token, scope="all", all_versions="true",
                document_id=fresh_document["id"])["hits"] if h["version_id"] == fresh["id"]],
                timeout=120)
            if service == "renditions":     # the twin renders the new upload
                eventually(lambda: author.request(
                    "GET", f"/api/versions/{fresh['id']}/rendition").status_code == 200,
                    timeout=300, interval=1)
            handled_at = time.monotonic()
            time.sleep(3)
            load.finish()
            figures = load.report(killed_at)
            results[service] = figures
            print_table(f"{service}-{n} killed -9: resubmission's item and the new upload "
                        f"searchable{' and rendered' if service == 'renditions' else ''} "
                        f"{handled_at - killed_at:.1f} s after the kill", figures)
            assert len(signer_items(people, version["id"])) == before + 1   # once
            assert len(searchable) == 1
            assert all(f["failed"] == 0 for f in figures.values()), figures
            process_cluster.start(service, n)
    finally:
        for service, n in killed:
            if process_cluster.pid(service, n) is None:
                process_cluster.start(service, n)


def stream_lines(process_cluster) -> set[str]:
    """HAProxy's log lines of feed streams answered 200 (`option logasap` logs a request
    when its answer starts)."""
    return {line for line in process_cluster.haproxy_log().splitlines()
            if "/api/feed/stream" in line and " 200 " in line}


def stream_gateway(process_cluster, seen: set[str]) -> str | None:
    """The gateway serving the newest feed stream not among `seen` (lines start with
    their ISO time)."""
    lines = sorted(stream_lines(process_cluster) - seen)
    return lines[-1].split(" gateways/", 1)[1].split()[0] if lines else None


def test_the_web_page_keeps_its_live_feed_when_its_gateway_dies(process_cluster, people):
    """Chromium's own EventSource on the home page (services/gateway/ui/static/app.js),
    through HAProxy: the gateway serving its stream killed -9, the items made meanwhile
    appear once each."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.browser.driver import chrome

    until_both_up(process_cluster)
    passwords = {u["username"]: u["password"] for u in organisation()["users"]}
    document = new_document(people[AUTHOR])
    version = submitted(people, document)
    eventually(lambda: signer_items(people, version["id"]))
    driver, n = chrome(), None
    try:
        wait = WebDriverWait(driver, 60)
        driver.get(process_cluster.url + "/login")
        driver.find_element(By.ID, "username").send_keys(SIGNER)
        driver.find_element(By.ID, "password").send_keys(passwords[SIGNER])
        mark = stream_lines(process_cluster)
        driver.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
        live = (By.ID, "feed-live")
        wait.until(lambda d: d.find_element(*live).text.startswith("În direct"))
        server = eventually(lambda: stream_gateway(process_cluster, mark), timeout=20)
        n = int(server.rsplit("-", 1)[1])
        shown = {li.get_attribute("data-id") for li in
                 driver.find_elements(By.CSS_SELECTOR, "#feed li[data-id]")}
        mark = stream_lines(process_cluster)
        killed_at = kill(process_cluster.pid("gateway", n))
        for _ in range(2):                                     # while the page is cut off
            resubmit(people, version["id"])
        made = [str(i) for i in eventually(lambda: (lambda got: got if len(got) == 3 else None)(
            signer_items(people, version["id"])), timeout=60)[1:]]
        fresh = wait.until(lambda d: (lambda ids: ids if set(made) <= set(ids) else None)(
            [li.get_attribute("data-id") for li in d.find_elements(By.CSS_SELECTOR, "#feed li.fresh")]))
        back_on = stream_gateway(process_cluster, mark)
        print(f"\nweb page: its stream on {server} killed -9; the items made meanwhile "
              f"{made} shown {time.monotonic() - killed_at:.1f} s after the kill, the stream "
              f"back on {back_on}; fresh items on the page {fresh}")
        assert back_on and back_on != server
        assert sorted(fresh) == sorted(set(fresh))              # none twice
        assert not set(made) & shown
    finally:
        driver.quit()
        if n is not None:
            process_cluster.start("gateway", n)
            until_both_up(process_cluster)
