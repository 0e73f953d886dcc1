"""From approval to feed, live stream, e-mail, acknowledgement and report, through the
gateway with every service running and a real SMTP server (devenv/mailserver.py)."""
from __future__ import annotations

import csv
import io
import json
import socket
import time
import uuid
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from kombu import Connection, Exchange, Queue

from procedura_cli.docgen import docx_bytes
from tests.e2e.test_document_control import approve_fully
from tests.e2e.test_notifications import Stream
from tests.e2e.test_walking_skeleton import BODY, DOCX, register, unique_code
from devenv.mailserver import MailServer
from tests.testenv import ROOT, eventually


@pytest.fixture(scope="module")
def mailserver(services, environment):
    server = MailServer(int(environment.env["PROCEDURA_SMTP_PORT"]),
                        Path(environment.env["PROCEDURA_RUN_DIR"]) / "mailbox.jsonl").start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def email_off_afterwards(login):
    """Leave the people these tests give e-mail to as everyone else is (off), so the
    other tests of the run, without an SMTP server, queue nothing for them."""
    yield
    for username in ("radu.munteanu", "mihai.tudose"):
        login(username).request("PUT", "/api/me/preferences", json={"email_delivery": "off"})


@pytest.fixture
def rpc(environment):
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

    with ClusterRpcProxy(environment.config(), timeout=30) as proxy:
        yield proxy


def mail_to(server: MailServer, address: str) -> list[dict]:
    return [m for m in server.messages() if m["to"] == [address]]


def test_from_approval_to_feed_live_stream_email_acknowledgement_and_report(
        login, environment, mailserver, rpc, gateway):
    reader, head = login("radu.munteanu"), login("stefan.ionescu")
    quality, outsider = login("elena.dumitrascu"), login("livia.grigore")
    address = f"radu.munteanu+{uuid.uuid4().hex[:6]}@example.ro"

    # the reader wants e-mail at once, at an address of their own
    chosen = {"email_delivery": "immediate", "email_address": address}
    response = reader.request("PUT", "/api/me/preferences", json=chosen)
    assert response.status_code == 200 and response.json() == chosen
    assert reader.get("/api/me/preferences") == chosen
    bad = reader.request("PUT", "/api/me/preferences", json={"email_delivery": "weekly"})
    assert bad.status_code == 422
    assert [f["field"] for f in bad.json()["error"]["details"]["fields"]] == ["email_delivery"]
    assert reader.get("/api/me/preferences") == chosen          # nothing lost

    # a subscriber of the city hall listens for acknowledgements
    exchange = Exchange("notifications.events", type="topic", durable=True)
    queue = Queue(f"test-acks-{uuid.uuid4().hex[:6]}", exchange=exchange,
                  routing_key="acknowledgement_recorded", auto_delete=True)
    received: list[dict] = []
    with Connection(environment.amqp_uri) as conn:
        queue(conn.default_channel).declare()

        stream = Stream(reader)
        time.sleep(1)   # the browser is connected before the approval
        author = login("ana.popescu")
        document = register(author, unique_code(), distribution=("DJ",))
        version = author.upload(document["id"], "p.docx", docx_bytes("p", BODY), "", DOCX)
        vid = version["id"]
        approve_fully(login, vid)
        approved_at = time.monotonic()

        # feed and live stream
        live = eventually(lambda: [t for t, e in stream.events if e["version_id"] == vid
                                   and e["kind"] == "version_approved"], timeout=10)
        assert live[0] - approved_at < 2.0
        in_force = eventually(lambda: [i for i in reader.get("/api/feed", limit=200)["items"]
                                       if i["version_id"] == vid
                                       and i["kind"] == "version_in_force"])
        eventually(lambda: [e for _, e in stream.events if e["id"] == in_force[0]["id"]],
                   timeout=10)
        stream.close()

        # e-mail, with a link to the document
        mails = eventually(lambda: [m for m in mail_to(mailserver, address)
                                    if in_force[0]["message"] in m["body"]], timeout=20)
        assert mails[0]["subject"] == f"[Procedura] {document['code']} – {document['title']}"
        assert f"{gateway}/documents/{document['id']}" in mails[0]["body"]
        log = quality.get("/api/email/deliveries", username="radu.munteanu")["items"]
        assert [d for d in log if d["address"] == address and d["status"] == "sent"
                and d["feed_item_ids"] == [in_force[0]["id"]] and d["attempts"] == 1]
        assert reader.request("GET", "/api/email/deliveries").status_code == 403

        # what the reader still has to confirm
        pending = [a for a in reader.get("/api/me/acknowledgements")["items"]
                   if a["version_id"] == vid]
        assert len(pending) == 1 and pending[0]["acknowledged_at"] is None
        due = date.fromisoformat(pending[0]["due_date"])
        assert due > date.today()

        # someone not on the list cannot confirm; confirming twice keeps the first record
        refused = outsider.request("POST", f"/api/versions/{vid}/acknowledge")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
        first = reader.post(f"/api/versions/{vid}/acknowledge")
        again = reader.post(f"/api/versions/{vid}/acknowledge")
        assert first["acknowledged_at"] and first["recorded"] is True
        assert again["acknowledged_at"] == first["acknowledged_at"] and again["recorded"] is False
        assert vid not in {a["version_id"] for a in reader.get("/api/me/acknowledgements")["items"]}
        missing = reader.request("POST", f"/api/versions/{uuid.uuid4()}/acknowledge")
        assert missing.status_code == 404

        def got_event():
            try:
                conn.drain_events(timeout=1)
            except socket.timeout:
                pass
            return [b for b in received if b["data"]["version_id"] == vid]

        with conn.Consumer(queue, callbacks=[lambda body, msg: (received.append(body),
                                                                 msg.ack())],
                           accept=["json"]):
            [event] = eventually(got_event, timeout=20)
    assert event["type"] == "acknowledgement_recorded" and event["subject"] == document["id"]
    assert event["data"]["username"] == "radu.munteanu" and event["data"]["late"] is False
    jsonschema.validate(event, json.loads(
        (ROOT / "docs/events/acknowledgement_recorded.json").read_text()))

    # the report: the quality office and the department's head; the RPC of the form
    report = quality.get(f"/api/versions/{vid}/acknowledgements")
    assert report == rpc.notifications.acknowledgement_report(vid)
    assert set(report) == {"version_id", "due_date", "confirmed", "pending", "people"}
    assert (report["confirmed"], report["pending"]) == (1, 2)   # DJ: Radu; Ana, Ștefan
    people = {p["username"]: p for p in report["people"]}
    assert set(people) == {"radu.munteanu", "ana.popescu", "stefan.ionescu"}
    assert set(people["radu.munteanu"]) == {"username", "full_name", "department", "function",
                                            "notified_at", "acknowledged_at", "overdue"}
    assert people["radu.munteanu"]["full_name"] == "Radu Munteanu"
    assert people["radu.munteanu"]["function"] == "Consilier juridic"
    assert people["radu.munteanu"]["acknowledged_at"] == first["acknowledged_at"]
    assert people["ana.popescu"]["acknowledged_at"] is None
    assert all(p["notified_at"] and p["overdue"] is False for p in report["people"])
    assert head.get(f"/api/versions/{vid}/acknowledgements")["confirmed"] == 1
    assert reader.request("GET", f"/api/versions/{vid}/acknowledgements").status_code == 403
    spreadsheet = quality.request("GET", f"/api/versions/{vid}/acknowledgements",
                                  params={"format": "csv"})
    assert spreadsheet.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(spreadsheet.text)))
    assert rows[0][0] == "Nume și prenume" and len(rows) == 4
    assert [r for r in rows if r[1] == "radu.munteanu"][0][6] == "nu"

    # per department: the head sees their own, the quality office any
    mine = head.get("/api/acknowledgements", department="DJ")
    assert {i["username"] for i in mine["items"] if i["version_id"] == vid} == set(people)
    assert head.request("GET", "/api/acknowledgements",
                        params={"department": "RP"}).status_code == 403
    assert reader.request("GET", "/api/acknowledgements").status_code == 403
    assert quality.request("GET", "/api/acknowledgements",
                           params={"department": 'DJ"; x'}).status_code == 422
    assert quality.get("/api/acknowledgements", department="DJ")["items"]
    sheet = head.request("GET", "/api/acknowledgements", params={"department": "DJ",
                                                                 "format": "csv"})
    assert sheet.headers["Content-Type"].startswith("text/csv")
    rows = [r for r in csv.reader(io.StringIO(sheet.text))]
    assert rows[0][:4] == ["Cod", "Titlu", "Ediția/Revizia", "Termen de confirmare"]
    mine_rows = [r for r in rows if r[0] == document["code"]]
    assert {r[5] for r in mine_rows} == set(people)
    assert [r for r in mine_rows if r[5] == "radu.munteanu"][0][2] == "Ediția I, Revizia 0"

    # reminders: the day before the due date, only to those who have not confirmed, once
    rpc.notifications.send_reminders(due.isoformat())
    rpc.notifications.send_reminders(due.isoformat())

    def reminders(client):
        return [i for i in client.get("/api/feed", limit=200)["items"]
                if i["version_id"] == vid and i["kind"].startswith("acknowledgement_")]

    assert [i["kind"] for i in reminders(head)] == ["acknowledgement_reminder"]
    assert reminders(reader) == []


def test_no_email_about_a_confidential_document_reaches_someone_not_permitted(
        login, mailserver):
    """The monitoring committee is told of every verified revision, but of a confidential
    one only if it may read it: its e-mail follows the same rule."""
    committee = login("mihai.tudose")
    address = f"mihai.tudose+{uuid.uuid4().hex[:6]}@example.ro"
    committee.request("PUT", "/api/me/preferences",
                      json={"email_delivery": "immediate", "email_address": address})
    author, head = login("ana.popescu"), login("stefan.ionescu")

    def verified(confidential: bool) -> dict:
        document = register(author, unique_code(), distribution=("DJ",),
                            confidential=confidential, title="Audit intern confidențial"
                            if confidential else "Înregistrarea petițiilor")
        version = author.upload(document["id"], "p.docx", docx_bytes("p", BODY), "", DOCX)
        author.act(version["id"], "submit")
        head.act(version["id"], "verify")
        return document

    secret = verified(confidential=True)
    public = verified(confidential=False)
    eventually(lambda: [m for m in mail_to(mailserver, address)
                        if public["code"] in m["subject"]], timeout=20)
    time.sleep(3)   # anything about the confidential one would have come by now
    assert not [m for m in mail_to(mailserver, address)
                if secret["code"] in m["subject"] + m["body"]]
    assert not [i for i in committee.get("/api/feed", limit=200)["items"]
                if i["document_id"] == secret["id"]]


def test_a_confidential_revision_does_not_exist_for_those_who_may_not_read_it(login):
    """Acknowledging and its reports keep the confidentiality rules: outside the
    distribution list, owner department and quality office, the revision is a 404, the
    same answer as for a revision that does not exist."""
    author = login("ana.popescu")
    # the endorser and the approver sign it, so their departments are on the list
    document = register(author, unique_code(), distribution=("DJ", "CM", "PRIMAR"),
                        confidential=True, title="Audit intern confidențial")
    version = author.upload(document["id"], "p.docx", docx_bytes("p", BODY), "", DOCX)
    vid = version["id"]
    approve_fully(login, vid)
    reader, outsider, head = login("radu.munteanu"), login("livia.grigore"), login("sorin.pana")
    eventually(lambda: [a for a in reader.get("/api/me/acknowledgements")["items"]
                        if a["version_id"] == vid])
    for client in (outsider, head):     # AUD, and the head of IT: not on the list
        for method, path in (("POST", f"/api/versions/{vid}/acknowledge"),
                             ("GET", f"/api/versions/{vid}/acknowledgements")):
            response = client.request(method, path)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["error"]["code"] == "not_found"
        assert not [a for a in client.get("/api/me/acknowledgements")["items"]
                    if a["version_id"] == vid]
    assert reader.post(f"/api/versions/{vid}/acknowledge")["acknowledged_at"]
    report = login("elena.dumitrascu").get(f"/api/versions/{vid}/acknowledgements")
    assert report["confirmed"] == 1
    assert {p["department"] for p in report["people"]} == {"DJ", "CM", "PRIMAR"}


def test_a_revision_not_in_force_has_no_list_to_confirm_and_says_so(login):
    """A draft (or a revision approved a moment ago whose list is still being opened) is
    not confirmed, and nobody is told they are not on a list that does not exist yet."""
    author = login("ana.popescu")
    document = register(author, unique_code(), distribution=("DJ",))
    draft = author.upload(document["id"], "d.docx", docx_bytes("d", BODY), "", DOCX)
    response = login("radu.munteanu").request("POST", f"/api/versions/{draft['id']}/acknowledge")
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "conflict" and "not open" in error["message"]
    assert error["details"] == {"version_id": draft["id"]}
    assert not [a for a in login("radu.munteanu").get("/api/me/acknowledgements")["items"]
                if a["version_id"] == draft["id"]]
