"""Backups to `s3://bucket/prefix` (issue 17): the stack's MinIO stands in for another S3
service, with a bucket of this run and a user of its own whose policy reaches that
bucket only (MinIO's admin API), so the backup provably needs nothing but its own
credentials. The same manifest, objects, `complete`, verify, retention and restore as a
directory (test_backup.py proves those at length; here: that they hold on S3)."""
from __future__ import annotations

import hashlib
import io
import json
import secrets

import pytest
from minio import Minio
from minio.credentials import StaticProvider
from minio.deleteobjects import DeleteObject
from minio.error import S3Error
from minio.minioadmin import MinioAdmin

from procedura_cli.backup_create import create
from procedura_cli.backup_manifest import BackupError, Destination, verify
from procedura_cli.backup_objects import put_back
from procedura_cli.backup_restore import restore
from procedura_cli.backup_retention import prune
from procedura_cli import backup_storage_s3
from procedura_cli.backup_storage import ContentMismatch
from procedura_cli.backup_storage_s3 import S3Storage, checksum
from procedura_cli.docgen import docx_bytes
from services.common.settings import Settings
from services.versioning.adapters.storage import ObjectStore
from tests.e2e.test_backup import free_port, procedura
from tests.e2e.test_walking_skeleton import BODY, DOCX, register, unique_code
from tests.testenv import MINIO_ENDPOINT, TestEnvironment, minio_admin, stack_secrets


@pytest.fixture(scope="module")
def s3(run_id):
    """A bucket of this run and a MinIO user allowed that bucket and nothing else; the
    PROCEDURA_BACKUP_S3_* variables of a backup that uses them."""
    root = stack_secrets()
    admin = MinioAdmin(endpoint=MINIO_ENDPOINT, secure=False, credentials=StaticProvider(
        root["PROCEDURA_MINIO_ACCESS_KEY"], root["PROCEDURA_MINIO_SECRET_KEY"]))
    bucket, user, policy = (f"procedura-{run_id}-backups", f"backup-{run_id}",
                            f"backup-{run_id}")
    key = secrets.token_hex(20)
    minio_admin().make_bucket(bucket)
    admin.user_add(user, key)
    admin.policy_add(policy, policy={"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["s3:*"],
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]})
    admin.attach_policy([policy], user=user)
    try:
        yield {"bucket": bucket, "client": Minio(MINIO_ENDPOINT, access_key=user,
                                                  secret_key=key, secure=False),
               "env": {"PROCEDURA_BACKUP_S3_ENDPOINT": MINIO_ENDPOINT,
                       "PROCEDURA_BACKUP_S3_ACCESS_KEY": user,
                       "PROCEDURA_BACKUP_S3_SECRET_KEY": key,
                       "PROCEDURA_BACKUP_S3_SECURE": "false"}}
    finally:
        client = minio_admin()
        objects = [DeleteObject(o.object_name, o.version_id) for o in
                   client.list_objects(bucket, recursive=True, include_version=True)]
        for error in client.remove_objects(bucket, objects):
            raise RuntimeError(f"could not empty {bucket}: {error}")
        client.remove_bucket(bucket)
        admin.detach_policy([policy], user=user)
        admin.user_remove(user)
        admin.policy_remove(policy)


def backup(environment, s3, *args, **kwargs):
    """`procedura backup ...` with the S3 destination's variables."""
    return procedura(environment, "backup", *args, env=s3["env"], **kwargs)


def restored_into_an_empty_installation(run_id: str, dest: str, s3) -> tuple[dict, dict]:
    """The newest backup of `dest` restored (database and objects) into a new, empty
    environment of its own; what its database and bucket then hold. The services'
    checks after a restore are test_backup.py's: here no service runs."""
    import psycopg2

    target = TestEnvironment(f"{run_id}s", gateway_port=free_port())
    target.create()
    try:
        settings = Settings.from_config(target.config())
        result = restore(settings, Destination(S3Storage(dest, s3["client"])), None)
        with psycopg2.connect(target.database_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT id::text, object_key, object_version_id "
                        "FROM versioning.versions WHERE disposed_at IS NULL")
            rows = {row[0]: (row[1], row[2]) for row in cur.fetchall()}
        store = ObjectStore(settings.minio)
        hashes = {vid: store.stored_sha256(key, version) for vid, (key, version) in
                  rows.items()}
        return {"versions": result.versions, "rows": set(rows)}, hashes
    finally:
        target.destroy()


def test_a_backup_on_s3_is_made_checked_pruned_and_restored_with_its_own_credentials(
        environment, login, s3, run_id):
    author = login("ana.popescu")
    document = register(author, unique_code())
    version = author.upload(document["id"], "s3.docx", docx_bytes("s3", BODY), "", DOCX)
    original = hashlib.sha256(author.request(
        "GET", f"/api/versions/{version['id']}/content").content).hexdigest()
    dest = f"s3://{s3['bucket']}/city-hall/nightly"
    # the backup's user reaches its bucket only: not the installation's
    with pytest.raises(S3Error) as denied:
        list(s3["client"].list_objects(environment.bucket))
    assert denied.value.code == "AccessDenied"

    # the command, with the destination's variables; then the same code in this process
    # (a command's start costs seconds on a busy machine)
    first = backup(environment, s3, "create", dest)
    assert first.returncode == 0, first.stderr
    stored = Destination(S3Storage(dest, s3["client"]))
    create(Settings.from_config(environment.config()), stored)
    ids = stored.complete_ids()
    assert len(ids) == 2
    # incremental: the second copied at most the object versions the first did not have
    # (texts and renditions made meanwhile; their bytes may be there already), and
    # names the others where the first put them
    had = {(o["key"], o["version_id"]): o["path"] for o in
           stored.manifest(ids[0])["objects"]}
    later = stored.manifest(ids[1])
    assert later["copied"]["objects"] <= len(
        [o for o in later["objects"] if (o["key"], o["version_id"]) not in had])
    assert later["copied"]["objects"] < len(had)
    assert all(had[(o["key"], o["version_id"])] == o["path"] for o in later["objects"]
               if (o["key"], o["version_id"]) in had)
    keys = [o.object_name for o in s3["client"].list_objects(s3["bucket"], recursive=True)]
    assert all(k.startswith("city-hall/nightly/") for k in keys), keys
    assert [verify(stored, i) for i in ids] == [[], []]

    # a flipped byte in an object of the backup is found and named
    manifest = stored.manifest(ids[-1])
    damaged = next(o["path"] for o in manifest["objects"] if o["kind"] == "original")
    with stored.storage.reader(damaged) as stream:
        data = bytearray(stream.read())
    good = bytes(data)
    data[len(data) // 2] ^= 0x01
    stored.storage.write(damaged, io.BytesIO(bytes(data)), len(data))
    found = backup(environment, s3, "verify", dest)
    assert found.returncode == 1
    assert found.stdout.splitlines() == [f"damaged    {damaged}  (sha256 differs)"]
    stored.storage.write(damaged, io.BytesIO(good), len(good))

    # a writer's lock, refreshed moments ago, keeps a second writer out; one no longer
    # refreshed (its writer killed) is taken over
    lock = json.dumps({"host": "elsewhere", "pid": 1}).encode()
    s3["client"].put_object(s3["bucket"], "city-hall/nightly/.locks/other",
                            io.BytesIO(lock), len(lock))
    with pytest.raises(BackupError, match="another backup or prune is running"):
        with stored.locked():
            pass
    stored.storage.STALE = 0
    with stored.locked():
        assert "city-hall/nightly/.locks/other" not in [o.object_name for o in s3[
            "client"].list_objects(s3["bucket"], prefix="city-hall/nightly/.locks/")]
    assert list(s3["client"].list_objects(s3["bucket"],
                                          prefix="city-hall/nightly/.locks/")) == []

    assert prune(stored, 1, 0).removed_backups == [ids[0]]
    assert stored.backup_ids() == [ids[-1]] and verify(stored, ids[-1]) == []
    assert not [k for k, _ in stored.storage.files("objects/sha256") if "/tmp/" in k]

    # restored from S3 into an empty installation: every version, its original intact
    manifest = stored.manifest(ids[-1])
    originals = {o["version"]: (o["sha256"], o["size"]) for o in manifest["objects"]
                 if o["kind"] == "original"}
    restored, hashes = restored_into_an_empty_installation(run_id, dest, s3)
    assert restored["versions"] == manifest["versions"] == len(originals)
    assert restored["rows"] == set(originals) and version["id"] in originals
    assert hashes == originals
    assert originals[version["id"]][0] == original


def test_an_object_reaches_its_content_addressed_key_only_with_the_bytes_it_names(
        s3, monkeypatch):
    """One PUT straight to objects/sha256/…, the sha256 checked twice: by the backup
    before it sends, and by the S3 service, which refuses a body that hashes otherwise
    (x-amz-checksum-sha256), so bytes damaged on the way never land under a good name."""
    storage = S3Storage(f"s3://{s3['bucket']}/checked", s3["client"])
    dest = Destination(storage)
    body = b"an approved revision"
    good = hashlib.sha256(body).hexdigest()
    path = dest.object_path(good)

    # the service itself refuses a body whose checksum differs
    with pytest.raises(S3Error) as refused:
        storage._put(path, io.BytesIO(b"an approved revisioN"), len(body),
                     metadata=checksum(good))
    assert refused.value.code == "XAmzContentChecksumMismatch"
    # bytes other than those expected are not sent at all
    with pytest.raises(ContentMismatch) as mismatch:
        storage.write_addressed(io.BytesIO(b"an approved revisioN"), len(body), good,
                                dest.object_path)
    assert mismatch.value.found != good
    assert storage.size(path) is None and list(storage.files("objects")) == []

    assert storage.write_addressed(io.BytesIO(body), len(body), good,
                                   dest.object_path) == (good, len(body))
    assert dict(storage.files("objects")) == {path: len(body)}
    # an object larger than one part: streamed under tmp/, moved only once hashed
    monkeypatch.setattr(backup_storage_s3, "PART", 8)
    with pytest.raises(ContentMismatch):
        storage.write_addressed(io.BytesIO(body + b"!"), len(body) + 1, good,
                                dest.object_path)
    large = hashlib.sha256(body + b"!").hexdigest()
    assert storage.write_addressed(io.BytesIO(body + b"!"), len(body) + 1, None,
                                   dest.object_path) == (large, len(body) + 1)
    assert dict(storage.files("objects")) == {path: len(body),
                                              dest.object_path(large): len(body) + 1}

    # restored: a file of the backup damaged since is refused, nothing under its key
    storage.write(path, io.BytesIO(b"an approved revisioN"), len(body))
    item = {"path": path, "key": "restored/original", "size": len(body), "sha256": good}
    with pytest.raises(BackupError, match="is damaged"):
        put_back(s3["client"], s3["bucket"], dest, item)
    assert list(s3["client"].list_objects(s3["bucket"], prefix="restored/")) == []
