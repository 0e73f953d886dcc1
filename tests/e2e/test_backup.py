"""Backups (issue 17) on the real stack: an environment filled through the gateway is
backed up, restored into a second, empty environment (its own database, buckets, index,
vhost and gateway), and the two compared through the API; then the faults."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from procedura_cli.backup_manifest import Destination
from procedura_cli.client import Client
from procedura_cli.docgen import docx_bytes
from tests.e2e.conftest import Services
from tests.e2e.test_document_control import acknowledge_when_asked, approve_fully
from tests.e2e.test_risks import SCORES
from tests.e2e.test_walking_skeleton import BODY, DOCX, register, unique_code
from tests.helpers import extraction_settled
from tests.testenv import ROOT, TestEnvironment, eventually, minio_admin

PASSWORDS = {"ana.popescu": "demo-dj", "radu.munteanu": "demo-dj2",
             "elena.dumitrascu": "demo-smc", "paul.zamfir": "demo-duat",
             "daniel.balan": "demo-primar"}


def procedura(environment: TestEnvironment, *args: str, stdin: str = "",
              timeout: float = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    """The `procedura` command as an operator of `environment` runs it (`env`: more
    variables, e.g. an S3 destination's)."""
    return subprocess.run([sys.executable, "-m", "procedura_cli.main", *args], cwd=ROOT,
                          env={**os.environ, **environment.environ(), **(env or {})},
                          input=stdin, capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    """A gateway port free with its SMTP port (+20000), away from the other runs' range."""
    for candidate in range(8900, 9000):
        try:
            for port in (candidate, candidate + 20000):
                socket.create_server(("127.0.0.1", port)).close()
            return candidate
        except OSError:
            continue
    raise RuntimeError("no free port between 8900 and 9000")


@pytest.fixture(scope="module")
def filled(login, gateway):
    """Documents through the whole chain (legal hold, registry number, acknowledgement),
    a confidential one, one with two revisions, a process and a risk."""
    author, quality = login("ana.popescu"), login("elena.dumitrascu")
    approved = register(author, unique_code())
    version = author.upload(approved["id"], "aprobat.docx", docx_bytes("a", BODY), "", DOCX)
    approve_fully(login, version["id"])
    acknowledge_when_asked(login("radu.munteanu"), version["id"], timeout=60)
    secret = register(login("paul.zamfir"), unique_code("PO-DUAT"), owner="DUAT",
                      distribution=("DUAT",), confidential=True, title="Urbanism confidențial")
    hidden = login("paul.zamfir").upload(secret["id"], "secret.docx",
                                         docx_bytes("s", BODY), "", DOCX)
    two = register(author, unique_code())
    first = author.upload(two["id"], "r0.docx", docx_bytes("r0", BODY), "", DOCX)
    second = author.upload(two["id"], "r1.docx", docx_bytes("r1", BODY + "\nRevizia 1."),
                           "Revizia 1", DOCX)
    process = f"P-{uuid.uuid4().hex[:6].upper()}"
    quality.post("/api/processes", {"code": process, "name": f"Proces {process}",
                                    "department": "DJ", "owner": "stefan.ionescu"})
    quality.post("/api/risks", {
        "code": f"R-{uuid.uuid4().hex[:6].upper()}", "department": "DJ", "process": process,
        "owner": "stefan.ionescu", "description": "Contracte fără aviz", "cause": "Termene",
        "consequence": "Clauze nelegale",
        "controls": [{"measure": "Aviz", "procedure": approved["code"]}], **SCORES})
    for client, vid in ((author, version["id"]), (login("paul.zamfir"), hidden["id"]),
                        (author, first["id"]), (author, second["id"])):
        extraction_settled(client, vid)
        # and rendered: the backup holds the renditions made by then
        eventually(lambda: client.get(f"/api/versions/{vid}")["rendition"]["status"]
                   != "pending", timeout=180, interval=1)
    return {"documents": [approved["id"], secret["id"], two["id"]],
            "approved_version": version["id"]}


@pytest.fixture(scope="module")
def dest(tmp_path_factory):
    return tmp_path_factory.mktemp("backups") / "dest"


@pytest.fixture(scope="module")
def first_backup(environment, filled, dest):
    result = procedura(environment, "backup", "create", str(dest))
    assert result.returncode == 0, result.stderr
    assert "complete" in result.stdout and "ETA" in result.stderr
    return Destination(dest).latest()


@pytest.fixture(scope="module")
def target(stack, run_id, first_backup):
    """A second, empty installation: its services running, nothing in it."""
    environment = TestEnvironment(f"{run_id}r", gateway_port=free_port())
    environment.create()
    services = Services(environment)
    try:
        services.up()
        yield environment
    finally:
        services.down()
        environment.destroy()


def snapshot_of(gateway: str, document_ids: list[str]) -> dict:
    """What people see of the installation, through the API, as several of them."""
    seen: dict = {}
    for username in ("ana.popescu", "radu.munteanu", "elena.dumitrascu", "paul.zamfir"):
        client = Client.login(gateway, username, PASSWORDS[username])
        view = seen[username] = {
            "documents": client.get("/api/documents", size=200),
            "feed": client.get("/api/feed", limit=200),
            "searches": {q: client.get("/api/search", q=q, size=50)
                         for q in ("petițiilor", "petitiilor", "urbanism", "Revizia")},
        }
        for document_id in document_ids:
            response = client.request("GET", f"/api/documents/{document_id}")
            view[document_id] = {"status": response.status_code, "body": response.json()}
            if response.status_code != 200:
                continue
            versions = client.get(f"/api/documents/{document_id}/versions")
            view[document_id]["versions"] = versions
            for version in versions["items"] if isinstance(versions, dict) else versions:
                vid = version["id"]
                content = client.request("GET", f"/api/versions/{vid}/content")
                # the viewer's PDF, as restored (not made again: that would take OCR's time
                # and give other bytes)
                rendition = client.request("GET", f"/api/versions/{vid}/rendition")
                view[vid] = {"version": client.get(f"/api/versions/{vid}"),
                             "rendition": (rendition.status_code,
                                           hashlib.sha256(rendition.content).hexdigest()),
                             "signatures": client.get(f"/api/versions/{vid}/signatures"),
                             "content": hashlib.sha256(content.content).hexdigest(),
                             "text": client.request("GET", f"/api/versions/{vid}/text").text}
    quality = Client.login(gateway, "elena.dumitrascu", PASSWORDS["elena.dumitrascu"])
    seen["audit"] = {d: quality.get("/api/audit", document_id=d) for d in document_ids}
    seen["risks"] = quality.get("/api/risks")
    seen["processes"] = quality.get("/api/processes")
    seen["acknowledgements"] = quality.get("/api/acknowledgements")
    return seen


# what may differ between two equal installations: MinIO gives each object written a new
# object version id (the restore pins every original to its new one, and
# verify-integrity hashes exactly that one), and Elasticsearch's relevance scores
# follow the index's segment statistics (a rebuilt index has no deleted documents),
# not the content; the hits, their order and the totals must be equal
INSTALLATION_SPECIFIC = {"object_version_id", "score"}


def differences(a, b, path: str = "") -> list[str]:
    """Where two API views differ, each by its path (a readable failure)."""
    if isinstance(a, dict) and isinstance(b, dict):
        a, b = ({k: v for k, v in d.items() if k not in INSTALLATION_SPECIFIC}
                for d in (a, b))
        found = [f"{path}/{k}: only on one side" for k in a.keys() ^ b.keys()]
        for key in sorted(a.keys() & b.keys()):
            found += differences(a[key], b[key], f"{path}/{key}")
        return found
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {str(a)[:200]} != {str(b)[:200]}"]


@pytest.mark.timeout(900)   # with its fixtures: ~5 minutes on a busy 2-core machine
def test_a_backup_restored_into_an_empty_installation_is_equal_through_the_api(
        environment, gateway, filled, dest, first_backup, target, login):
    before = snapshot_of(gateway, filled["documents"])
    approved, secret, _ = filled["documents"]
    in_force = before["ana.popescu"][filled["approved_version"]]["version"]
    assert in_force["registry_number"] and in_force["status"] == "in_force"
    assert before["radu.munteanu"][secret]["status"] == 404        # confidential
    assert before["paul.zamfir"][secret]["status"] == 200
    assert before["audit"][approved] and before["radu.munteanu"]["feed"]["items"]
    assert before["ana.popescu"]["searches"]["petitiilor"]["total"] > 0
    assert before["ana.popescu"][filled["approved_version"]]["rendition"][0] == 200
    result = procedura(target, "backup", "restore", str(dest))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "restore proven" in result.stdout
    assert "audit trail intact" in result.stdout
    after = snapshot_of(target.gateway, filled["documents"])
    found = differences(before, after)
    assert found == [], "\n".join(found)

    # the target now holds documents: only --replace with its database's name typed
    replaced = procedura(target, "backup", "restore", str(dest), "--replace",
                         stdin=f"{target.database}\n")
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert "restore proven" in replaced.stdout
    again = differences(before, snapshot_of(target.gateway, filled["documents"]))
    assert again == [], "\n".join(again)
    # and the replaced installation's objects are gone: the bucket holds exactly the
    # object versions the restored database names (no orphans for `doctor` to find)
    manifest = Destination(dest).manifest(first_backup)
    stored = [(o.object_name, o.version_id) for o in minio_admin().list_objects(
        target.bucket, recursive=True, include_version=True)]
    assert sorted(k for k, _ in stored) == sorted(o["key"] for o in manifest["objects"])
    assert {o["kind"] for o in manifest["objects"]} == {"original", "text", "rendition"}
    assert list(minio_admin().list_objects(f"{target.bucket}-staging", recursive=True)) == []

    # an incremental backup after one more upload copies only that upload (its original,
    # text and PDF rendition)
    author = login("ana.popescu")
    document = register(author, unique_code())
    extra = author.upload(document["id"], "nou.docx",
                          docx_bytes("n", f"{BODY}\nNou: {uuid.uuid4()}"), "", DOCX)
    extraction_settled(author, extra["id"])
    again = procedura(environment, "backup", "create", str(dest))
    assert again.returncode == 0, again.stderr
    latest = Destination(dest)
    manifest = latest.manifest(latest.latest())
    had = {(o["key"], o["version_id"]) for o in latest.manifest(first_backup)["objects"]}
    new = [o for o in manifest["objects"] if (o["key"], o["version_id"]) not in had]
    # the upload's original and text (new bytes: copied), its rendition once made by
    # then, and in a whole test run the renditions other tests' uploads got meanwhile;
    # nothing the first backup had
    assert {"original", "text"} <= {o["kind"] for o in new if o["version"] == extra["id"]}
    assert 2 <= manifest["copied"]["objects"] <= len(new), manifest["copied"]
    assert {o["version"] for o in manifest["objects"] if o["kind"] == "original"} >= {
        extra["id"]}


PREVIOUS_RELEASE = ROOT / "tests" / "fixtures" / "backup-previous-release"


def test_a_backup_made_by_the_previous_release_is_restored_migrated_and_answers_the_api(
        target):
    """tests/fixtures/backup_previous_release.py made it with the release before
    renditions; expected.json is what that release's API answered."""
    expected = json.loads((PREVIOUS_RELEASE / "expected.json").read_text(encoding="utf-8"))
    previous = Destination(PREVIOUS_RELEASE)
    manifest = previous.manifest(previous.latest())
    assert not any(m.startswith("005") for m in manifest["migrations"]["versioning"])
    # the target holds the round trip's documents by now: replaced, as after a rehearsal
    result = procedura(target, "backup", "restore", str(PREVIOUS_RELEASE), "--replace",
                       "--confirm", target.database)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "restore proven" in result.stdout and "versioning/005" in result.stdout
    assert "rebuild --missing:" in result.stdout, result.stdout

    for vid, who in ((expected["approved_version"], "ana.popescu"),
                     (expected["confidential_version"], "paul.zamfir")):
        client = Client.login(target.gateway, who, PASSWORDS[who])
        version = client.get(f"/api/versions/{vid}")
        assert {k: version[k] for k in expected[vid] if k != "content_sha256"} == {
            k: v for k, v in expected[vid].items() if k != "content_sha256"}
        content = client.request("GET", f"/api/versions/{vid}/content").content
        assert hashlib.sha256(content).hexdigest() == expected[vid]["content_sha256"]
        # made by the release before renditions: rendered now, in the background
        assert version["rendition"]["status"] in ("pending", "done")
    reader = Client.login(target.gateway, "radu.munteanu", PASSWORDS["radu.munteanu"])
    confidential = reader.request("GET", f"/api/documents/{expected['documents'][1]}")
    assert confidential.status_code == 404
    quality = Client.login(target.gateway, "elena.dumitrascu", PASSWORDS["elena.dumitrascu"])
    assert [a for a in quality.get("/api/acknowledgements")["items"]
            if a["version_id"] == expected["approved_version"]
            and a["username"] == "radu.munteanu" and a["acknowledged_at"]]
    author = Client.login(target.gateway, "ana.popescu", PASSWORDS["ana.popescu"])
    assert author.get("/api/search", q="petițiilor")["total"] == \
        expected["search_petitiilor_total"]
    # and the viewer shows it: its rendition made after the restore
    approved = expected["approved_version"]
    eventually(lambda: author.get(f"/api/versions/{approved}")["rendition"]["status"]
               == "done", timeout=180, interval=1)
    assert author.request("GET", f"/api/versions/{approved}/rendition").status_code == 200


def _copy(dest: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(dest, copy)
    return copy


def test_verify_names_each_flipped_truncated_and_missing_file(
        environment, dest, first_backup, tmp_path):
    copy = _copy(dest, tmp_path)
    assert procedura(environment, "backup", "verify", str(copy),
                     "--backup", first_backup).returncode == 0
    manifest = Destination(copy).manifest(first_backup)
    paths = sorted({o["path"] for o in manifest["objects"]})
    flipped, truncated, missing = paths[:3]
    for relative in (flipped, manifest["files"][0]["path"]):   # one byte, anywhere
        data = bytearray((copy / relative).read_bytes())
        data[len(data) // 2] ^= 0x01
        (copy / relative).write_bytes(bytes(data))
    (copy / truncated).write_bytes((copy / truncated).read_bytes()[:-1])
    (copy / missing).unlink()
    result = procedura(environment, "backup", "verify", str(copy), "--backup", first_backup)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("damaged") and flipped in line for line in lines)
    assert any(line.startswith("damaged") and manifest["files"][0]["path"] in line
               for line in lines)
    assert any(line.startswith("truncated") and truncated in line for line in lines)
    assert any(line.startswith("missing") and missing in line for line in lines)
    assert len(lines) == 4, lines


def _documents(environment: TestEnvironment) -> int:
    import psycopg2

    with psycopg2.connect(environment.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM documents.documents")
        return cur.fetchone()[0]


def test_a_restore_from_an_incomplete_backup_is_refused_naming_what_is_missing(
        environment, dest, first_backup, tmp_path):
    held = _documents(environment)
    copy = _copy(dest, tmp_path)
    manifest = Destination(copy).manifest(first_backup)
    gone = manifest["objects"][0]["path"]
    (copy / gone).unlink()
    result = procedura(environment, "backup", "restore", str(copy), "--backup", first_backup)
    assert result.returncode == 1
    assert gone in result.stderr and "not restored" in result.stderr
    (copy / "backups" / first_backup / "complete").unlink()
    result = procedura(environment, "backup", "restore", str(copy), "--backup", first_backup)
    assert result.returncode == 1
    assert f"backups/{first_backup}/complete" in result.stderr
    assert "incomplete" in result.stderr
    assert _documents(environment) == held                   # nothing touched


def test_a_restore_into_an_installation_holding_documents_is_refused(
        environment, dest, first_backup):
    held = _documents(environment)
    result = procedura(environment, "backup", "restore", str(dest))
    assert result.returncode == 1
    assert "not empty" in result.stderr and "--replace" in result.stderr
    wrong = procedura(environment, "backup", "restore", str(dest), "--replace",
                      stdin="procedura\n")
    assert wrong.returncode == 1 and "not confirmed" in wrong.stderr
    assert _documents(environment) == held


def test_a_backup_killed_halfway_is_never_complete_and_the_next_run_completes(
        environment, login, filled, tmp_path):
    author = login("ana.popescu")
    document = register(author, unique_code())
    big = ("Registrul petițiilor. " * 70000).encode()    # ~1.5 MB of text
    version = author.upload(document["id"], "mare.txt", big, "", "text/plain")
    extraction_settled(author, version["id"])
    dest = tmp_path / "dest"
    process = subprocess.Popen(
        [sys.executable, "-m", "procedura_cli.main", "backup", "create", str(dest),
         "--max-rate", "0.3", "--workers", "1"], cwd=ROOT,
        env={**os.environ, **environment.environ()},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list((dest / "objects" / "sha256" / "tmp").glob("*")):   # copying has begun
        assert process.poll() is None, "the backup ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait()
    [interrupted] = Destination(dest).backup_ids()
    listed = procedura(environment, "backup", "list", str(dest))
    assert f"{interrupted}  incomplete" in listed.stdout
    refused = procedura(environment, "backup", "verify", str(dest))
    assert refused.returncode == 1 and "incomplete" in refused.stdout

    result = procedura(environment, "backup", "create", str(dest))
    assert result.returncode == 0, result.stderr
    finished = Destination(dest).latest()
    assert finished != interrupted
    listed = procedura(environment, "backup", "list", str(dest)).stdout
    assert f"{interrupted}  incomplete" in listed and f"{finished}  complete" in listed
    assert procedura(environment, "backup", "verify", str(dest)).returncode == 0
    pruned = procedura(environment, "backup", "prune", str(dest), "--keep-daily", "1")
    assert pruned.returncode == 0 and f"removed {interrupted}" in pruned.stdout
    assert Destination(dest).backup_ids() == [finished]
    assert procedura(environment, "backup", "verify", str(dest)).returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    """A destination of 512 KB (a tmpfs: the test runs as root, as the stack's do)."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs",
                              str(folder)], capture_output=True, text=True)
    assert mounted.returncode == 0, f"cannot mount a small tmpfs: {mounted.stderr}"
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_a_destination_that_fills_up_is_a_clear_error_and_nothing_is_complete(
        environment, login, filled, small_disk):
    author = login("ana.popescu")
    document = register(author, unique_code())
    version = author.upload(document["id"], "plin.txt", os.urandom(300_000).hex().encode(),
                            "", "text/plain")
    extraction_settled(author, version["id"])
    result = procedura(environment, "backup", "create", str(small_disk / "dest"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "full" in result.stderr or "No space left" in result.stderr, result.stderr
    assert Destination(small_disk / "dest").complete_ids() == []
    listed = procedura(environment, "backup", "list", str(small_disk / "dest")).stdout
    assert "incomplete" in listed and " complete " not in listed


def _dumped_versions(dump: Path, run_id: str) -> set[str]:
    """The kept versions a dump holds: restored into a scratch database of this run."""
    import psycopg2

    from procedura_cli.backup_snapshot import libpq_environment, pg_tool
    from tests.testenv import _admin, admin_database_url

    name = f"procedura_{run_id}_dump"
    with _admin() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        env = libpq_environment(admin_database_url(name))
        subprocess.run([pg_tool("pg_restore"), "--no-owner", f"--dbname={name}", str(dump)],
                       env=env, check=True, capture_output=True)
        with psycopg2.connect(admin_database_url(name)) as conn, conn.cursor() as cur:
            cur.execute("SELECT id::text FROM versioning.versions WHERE disposed_at IS NULL")
            return {row[0] for row in cur.fetchall()}
    finally:
        with _admin() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_taken_while_uploads_and_approvals_go_on_holds_exactly_what_its_database_names(
        environment, login, filled, run_id, tmp_path):
    import threading

    author, stop, uploaded = login("ana.popescu"), threading.Event(), []
    # 400 KB more at 0.2 MB/s: the copy lasts seconds, while the uploads go on
    document = register(author, unique_code())
    author.upload(document["id"], "lung.txt", os.urandom(200_000).hex().encode(), "",
                  "text/plain")

    def work():
        while not stop.is_set():
            document = register(author, unique_code())
            version = author.upload(document["id"], "c.docx", docx_bytes("c", BODY), "", DOCX)
            uploaded.append(version["id"])
            if len(uploaded) % 3 == 0:
                approve_fully(login, version["id"])

    worker = threading.Thread(target=work)
    worker.start()
    try:
        time.sleep(2)
        result = procedura(environment, "backup", "create", str(tmp_path / "dest"),
                           "--max-rate", "0.2")
    finally:
        stop.set()
        worker.join(60)
    assert result.returncode == 0, result.stderr
    dest = Destination(tmp_path / "dest")
    backup_id = dest.latest()
    manifest = dest.manifest(backup_id)
    originals = {o["version"] for o in manifest["objects"] if o["kind"] == "original"}
    in_dump = _dumped_versions(tmp_path / "dest" / manifest["files"][0]["path"], run_id)
    assert originals == in_dump                       # every row has its object, no more
    assert set(uploaded) - in_dump                    # some uploads came after the snapshot
    assert set(uploaded) & in_dump                    # and some before
    assert procedura(environment, "backup", "verify", str(tmp_path / "dest")).returncode == 0
