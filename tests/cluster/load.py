"""The fault run's load: the demo organisation's people at work through the gateway URL,
each request's type, times and status recorded, and a plain AMQP subscriber (the
subscriber user, as examples/subscriber.py) recording every event it receives.

    upload        ana.popescu registers a document and uploads a file of bench/corpus.py
    chain         a document through its signatures: submit, verify, endorse, approve
    search        radu.munteanu searches
    feed          radu.munteanu reads his feed
    stream        radu.munteanu's live feed (server-sent events), reconnecting with
                  Last-Event-ID when it drops
    acknowledge   radu.munteanu and maria.ilie confirm the revisions in force for them

The test process is green (tests/conftest.py): each worker is a greenlet."""
from __future__ import annotations

import hashlib
import json
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import eventlet
import requests
from kombu import Connection, Queue

from bench.corpus import ROOT, Item, generate
from procedura_cli.client import Client
from procedura_cli.docgen import docx_bytes
from services.common.outbox import events_exchange

AUTHOR, READER, RP_READER = "ana.popescu", "radu.munteanu", "maria.ilie"
CHAIN = (("ana.popescu", "submit"), ("stefan.ionescu", "verify"),
         ("mihai.tudose", "endorse"), ("daniel.balan", "approve"))
DISTRIBUTION = ("DJ", "RP")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
WORDS = ("procedura", "petițiilor", "registratură", "termen", "dispoziție", "aviz")
SOURCES = ("documents", "versioning")     # the subscriber follows every event of these
TIMEOUT = 30.0                             # one request's


@dataclass
class Request:
    type: str
    start: float      # time.monotonic()
    end: float
    status: int       # HTTP status, 0 when no answer came (connection refused or cut)
    detail: str = ""  # the body of an error (Procedura's code and message), or the exception
    at: float = 0.0   # time.time() of the start: to find the request in the processes' logs
    route: str = ""   # "POST /api/versions/{id}/approve"
    gateway: str = ""  # who answered: gateway-1/-2 (HAProxy's X-Procedura-Gateway), or
                       # "HAProxy" when it answered itself (no gateway to send it to)


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def route_of(response: requests.Response) -> str:
    path = urlsplit(response.request.url).path
    return f"{response.request.method} {UUID.sub('{id}', path)}"


@dataclass
class Upload:
    document_id: str
    version_id: str
    sha256: str
    token: str


@dataclass
class Approval:
    document_id: str
    version_id: str
    distribution: tuple[str, ...]


@dataclass
class Recorder:
    requests: list[Request] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)
    approvals: list[Approval] = field(default_factory=list)
    acknowledged: list[tuple[str, str, bool]] = field(default_factory=list)  # who, vid, recorded
    streamed: list[tuple[float, dict]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def call(self, kind: str, do) -> requests.Response | None:
        started, at = time.monotonic(), time.time()
        try:
            response = do()
        except requests.RequestException as exc:
            self.requests.append(Request(kind, started, time.monotonic(), 0,
                                         f"{type(exc).__name__}: {str(exc)[:200]}", at))
            return None
        failed = response.status_code >= 400
        self.requests.append(Request(
            kind, started, time.monotonic(), response.status_code,
            response.text[:400] if failed else "", at, route_of(response),
            response.headers.get("X-Procedura-Gateway", "HAProxy" if failed else "")))
        return response

    def save(self, path: Path, began: float) -> None:
        """Every request as a JSON line (`t`: seconds since the load began), for whoever
        traces a failure after the run."""
        with open(path, "w", encoding="utf-8") as out:
            for r in self.requests:
                out.write(json.dumps({**asdict(r), "t": round(r.start - began, 3)},
                                     ensure_ascii=False) + "\n")


def ok(response: requests.Response | None) -> bool:
    return response is not None and 200 <= response.status_code < 300


class Load:
    def __init__(self, url: str, passwords: dict[str, str], seed: int = 19):
        self.url = url
        self.passwords = passwords
        self.record = Recorder()
        self.running = False
        self.clients: dict[str, Client] = {}
        self.rng = random.Random(seed)
        # light files of the corpus: the machine's 2 cores render and extract them too
        self.corpus: list[Item] = [i for i in generate(400, seed) if i.kind != "scan"
                                   and i.pages <= 5]
        self.threads: list = []

    def login(self, username: str) -> Client:
        """Logged in once at the start; a token outlives the run."""
        if username not in self.clients:
            deadline = time.monotonic() + 120
            while True:
                try:
                    client = Client.login(self.url, username, self.passwords[username])
                    client.timeout = TIMEOUT
                    self.clients[username] = client
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(1)
        return self.clients[username]

    def start(self) -> None:
        for username in {AUTHOR, READER, RP_READER, *(u for u, _ in CHAIN)}:
            self.login(username)
        self.running = True
        self.threads = [eventlet.spawn(w) for w in (
            self.uploads, self.chains, self.searches, self.feed, self.stream,
            self.acknowledgements)]

    def stop(self) -> None:
        self.running = False
        for thread in self.threads:
            thread.wait()

    def register(self, author: Client, title: str) -> dict | None:
        code = f"PO-DJ-{uuid.uuid4().int % 10**8:08d}"
        response = self.record.call("register", lambda: author.request(
            "POST", "/api/documents", json={
                "code": code, "title": title, "type": "PO", "owner_department": "DJ",
                "distribution": list(DISTRIBUTION), "confidential": False}))
        return response.json() if ok(response) else None

    def uploads(self) -> None:
        author, n = self.login(AUTHOR), 0
        while self.running:
            # past the corpus's end its files come again, each in a document of its own
            item, data = self.corpus[n % len(self.corpus)], self.corpus[n % len(self.corpus)].data
            n += 1
            document = self.register(author, f"Procedura încărcată {n}")
            if document:
                response = self.record.call("upload", lambda: author.request(
                    "POST", f"/api/documents/{document['id']}/versions",
                    files={"file": (item.filename, data, item.media_type)},
                    data={"change_summary": "Ediția inițială"}))
                if ok(response):
                    version = response.json()
                    if version["sha256"] != hashlib.sha256(data).hexdigest():
                        self.record.problems.append(f"upload {version['id']}: sha256 differs")
                    self.record.uploads.append(Upload(document["id"], version["id"],
                                                      version["sha256"], item.token))
            eventlet.sleep(1.0)

    def step(self, username: str, version_id: str, action: str) -> bool:
        """One signature, tried again as a person would while the answer is an error; a
        409 after an attempt without answer means that attempt was done."""
        client, answered = self.login(username), True
        deadline = time.monotonic() + 180
        while self.running or time.monotonic() < deadline:
            response = self.record.call(action, lambda: client.request(
                "POST", f"/api/versions/{version_id}/{action}", json={"comment": ""}))
            if ok(response):
                return True
            if response is not None and response.status_code == 409 and not answered:
                return True
            answered = response is not None and response.status_code < 500
            if time.monotonic() > deadline:
                return False
            eventlet.sleep(1.0)
        return False

    def chains(self) -> None:
        author = self.login(AUTHOR)
        n = 0
        while self.running:
            n += 1
            document = self.register(author, f"Procedura semnată {n}")
            version = None
            if document:
                response = self.record.call("upload", lambda: author.request(
                    "POST", f"/api/documents/{document['id']}/versions",
                    files={"file": ("p.docx", docx_bytes(f"p{n}", "# Procedură\n\n## 1. Scop\n"
                                                          f"Semnături {n}."), DOCX)},
                    data={"change_summary": ""}))
                version = response.json() if ok(response) else None
            if version and all(self.step(u, version["id"], a) for u, a in CHAIN):
                self.record.approvals.append(Approval(document["id"], version["id"],
                                                      DISTRIBUTION))
            eventlet.sleep(2.0)

    def searches(self) -> None:
        reader = self.login(READER)
        while self.running:
            word = self.rng.choice(WORDS)
            self.record.call("search", lambda: reader.request("GET", "/api/search",
                                                              params={"q": word}))
            eventlet.sleep(0.5)

    def feed(self) -> None:
        reader = self.login(READER)
        while self.running:
            self.record.call("feed", lambda: reader.request("GET", "/api/feed"))
            eventlet.sleep(1.0)

    def acknowledgements(self) -> None:
        approved = lambda: {a.version_id for a in self.record.approvals}  # noqa: E731
        while self.running:
            for username in (READER, RP_READER):
                client = self.login(username)
                response = self.record.call("acknowledgements", lambda: client.request(
                    "GET", "/api/me/acknowledgements"))
                if not ok(response):
                    continue
                for item in response.json()["items"]:
                    vid = item["version_id"]
                    if vid not in approved() or item["acknowledged_at"]:
                        continue
                    done = self.record.call("acknowledge", lambda: client.request(
                        "POST", f"/api/versions/{vid}/acknowledge"))
                    if ok(done):
                        self.record.acknowledged.append((username, vid,
                                                         done.json()["recorded"]))
            eventlet.sleep(2.0)

    def stream_gateway(self) -> str:
        """The gateway that answered the live stream's newest connection ("" before)."""
        answered = [r.gateway for r in self.record.requests if r.type == "stream"]
        return answered[-1] if answered else ""

    def stream(self) -> None:
        """An EventSource: reads until the connection drops, then reconnects from the
        last event's id, its resume token (HAProxy sends it to a gateway that is alive)."""
        reader, last = self.login(READER), None
        while self.running:
            headers = {"Accept": "text/event-stream"}
            if last is not None:
                headers["Last-Event-ID"] = last
            response = self.record.call("stream", lambda: reader.session.get(
                reader.base_url + "/api/feed/stream", headers=headers, stream=True,
                timeout=(5, 30)))
            if not ok(response):
                eventlet.sleep(1.0)
                continue
            try:
                # as a browser: a frame counts at its blank line, and its id (the resume
                # token) becomes the last event ID then, though it had no data (the
                # stream's first frame: where it starts); a frame cut short, neither
                event_id, data = last, None
                for line in response.iter_lines(decode_unicode=True):
                    if not self.running:
                        break
                    if line.startswith("id: "):
                        event_id = line[4:]
                    elif line.startswith("data: "):
                        data = json.loads(line[6:])
                    elif line == "":
                        last = event_id
                        if data is not None:
                            self.record.streamed.append((time.monotonic(), data))
                        data = None
            except (requests.RequestException, ValueError):   # cut: reconnect
                pass
            finally:
                response.close()
            eventlet.sleep(0.5)


class Subscriber:
    """A plain AMQP subscriber (tests/cluster/subscriber.py, a process of its own: the
    subscriber user, a durable queue `subscriber.*` bound to documents.events and
    versioning.events) recording every delivery with its id, copies included."""

    def __init__(self, amqp_uri: str, admin_uri: str, queue_type: str, folder: Path):
        self.uri = amqp_uri
        self.admin_uri = admin_uri.replace("pyamqp://", "amqp://")
        self.queue_type = queue_type
        self.queue_name = f"subscriber.fault-run-{uuid.uuid4().hex[:6]}"
        self.out = folder / "subscriber.jsonl"
        self.log = folder / "subscriber.log"
        self.child: subprocess.Popen | None = None
        self.bound_at = 0.0      # time.time() when its queue was bound

    def start(self) -> None:
        """Procedura's exchanges are declared first (the services declare them when they
        first publish; the same declaration here, as the operator), so that no event is
        published before the subscriber's queue is bound."""
        with Connection(self.admin_uri) as conn:
            for source in SOURCES:
                events_exchange(source)(conn.default_channel).declare()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.child = subprocess.Popen(
                [sys.executable, "-m", "tests.cluster.subscriber", "--url", self.uri,
                 "--queue", self.queue_name, "--queue-type", self.queue_type,
                 *(a for s in SOURCES for a in ("--bind", f"{s}.events")),
                 "--out", str(self.out)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + 60
        while not self.bound():
            assert self.child.poll() is None and time.monotonic() < deadline, \
                self.log.read_text(errors="replace")
            time.sleep(0.5)
        self.bound_at = time.time()

    def bound(self) -> bool:
        """Its queue declared and bound (the process says so)."""
        return f"bound {self.queue_name}" in self.log.read_text(errors="replace")

    @property
    def deliveries(self) -> list[tuple[float, str, str]]:
        """(when, id, type) of every delivery so far."""
        try:
            lines = self.out.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [(d["at"], d["id"], d["type"]) for d in map(json.loads, lines) if d]

    @property
    def reconnections(self) -> int:
        return self.log.read_text(errors="replace").count("reconnecting (")

    def stop(self) -> None:
        if self.child and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)
            try:
                self.child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait(timeout=10)

    def delete(self) -> None:
        with Connection(self.admin_uri) as conn:
            Queue(self.queue_name)(conn.default_channel).delete()
