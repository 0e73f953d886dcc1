"""`procedura backup create DEST`: the database snapshot, the objects it names, the
manifest, and `complete` last (docs/backup.md)."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version as package_version

from minio import Minio

from procedura_cli.backup_manifest import (
    FORMAT, BackupError, Destination, check_files, sha256_file, write_atomically)
from procedura_cli.backup_objects import copy_all
from procedura_cli.backup_snapshot import snapshot
from services.common.settings import Settings
from services.versioning.adapters.storage import make_client


def procedura_version() -> str:
    try:
        return package_version("procedura")
    except PackageNotFoundError:
        return "unknown"


def public_settings(settings: Settings) -> dict:
    """The settings a restore may want to compare, without a secret or a password."""
    return settings.model_dump(mode="json", exclude={
        "amqp_uri": True, "database_url": True, "auth_secret": True,
        "minio": {"access_key": True, "secret_key": True}})


def _known(dest: Destination) -> dict[tuple[str, str], dict]:
    """(key, object version) -> its entry in the newest complete backup: what an
    incremental backup need not read again (texts carry no sha256 in the database)."""
    try:
        latest = dest.latest()
    except BackupError:
        return {}
    return {(o["key"], o["version_id"]): o for o in dest.manifest(latest)["objects"]}


def _texts(client: Minio, bucket: str) -> dict[str, tuple[str, int]]:
    """key -> (its newest object version, size) of every text rendition: one listing
    instead of a request per text."""
    found = {}
    for obj in client.list_objects(bucket, prefix="texts/", recursive=True,
                                   include_version=True):
        if obj.is_latest == "true" and not obj.is_delete_marker:
            found[obj.object_name] = (obj.version_id, obj.size)
    return found


def _items(client: Minio, bucket: str, versions: list[dict],
           known: dict[tuple[str, str], dict]) -> list[dict]:
    """The object versions the snapshot names: each kept original (pinned by its object
    version id) and each extracted text."""
    texts = _texts(client, bucket) if versions else {}
    items = []
    for row in versions:
        items.append({"kind": "original", "version": row["id"], "key": row["object_key"],
                      "version_id": row["object_version_id"], "sha256": row["sha256"].strip(),
                      "size": row["size"], "legal_hold": row["legal_hold"]})
        if row["extraction_status"] == "done" and row["text_key"] in texts:
            text_version, size = texts[row["text_key"]]
            items.append({"kind": "text", "version": row["id"], "key": row["text_key"],
                          "version_id": text_version, "sha256": None, "size": size,
                          "legal_hold": False})
    for item in items:   # the rest is read with the bytes (backup_objects.copy_in)
        earlier = known.get((item["key"], item["version_id"]))
        if earlier:
            item["sha256"] = item["sha256"] or earlier["sha256"]
            item["content_type"] = earlier.get("content_type")
            item["metadata"] = earlier.get("metadata") or {}
    return items


def create(settings: Settings, dest: Destination, workers: int = 4,
           max_rate: float = 0) -> tuple[str, dict]:
    """Make one backup; returns its id and manifest."""
    started = time.monotonic()
    with dest.locked():
        backup_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        folder = dest.backup_dir(backup_id)
        folder.mkdir(parents=True)
        client = make_client(settings.minio)
        bucket = settings.minio.bucket
        known = _known(dest)
        with snapshot(settings.secret("database_url")) as snap:
            taken_at = datetime.now(timezone.utc).isoformat()
            dump = folder / "database.dump"
            snap.dump(settings.database_url, dump)
            migrations, anchor, versions = snap.migrations(), snap.audit_anchor(), \
                snap.versions()
        items = _items(client, bucket, versions, known)
        progress = copy_all(client, bucket, dest, items, workers, max_rate)
        digest, size = sha256_file(dump)
        manifest = {
            "format": FORMAT, "id": backup_id, "procedura_version": procedura_version(),
            "snapshot_at": taken_at, "migrations": migrations, "audit_anchor": anchor,
            "settings": public_settings(settings), "source_bucket": bucket,
            "versions": len(versions),
            "files": [{"path": f"backups/{backup_id}/database.dump", "size": size,
                       "sha256": digest}],
            "objects": items,
            "copied": {"objects": progress.copied_objects,
                       "bytes": progress.copied_bytes},
            "seconds": round(time.monotonic() - started, 3),
        }
        write_atomically(folder / "manifest.json",
                         json.dumps(manifest, indent=1, ensure_ascii=False).encode())
        # every file the manifest names is there at its size before the backup counts
        problems = check_files(dest, {f["path"]: (f["size"], f["sha256"])
                                      for f in manifest["files"]}, deep=True)
        problems += check_files(dest, {o["path"]: (o["size"], o["sha256"]) for o in items},
                                deep=False)
        if problems:
            raise BackupError("backup not marked complete: " +
                              "; ".join(str(p) for p in problems))
        dest.mark_complete(backup_id)
    return backup_id, manifest
