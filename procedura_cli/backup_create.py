"""`procedura backup create DEST`: the database snapshot, the objects it names, the
manifest, and `complete` last (docs/backup.md)."""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version as package_version

from minio import Minio

from procedura_cli.backup_manifest import (
    FORMAT, BackupError, Destination, HashingReader, check_files)
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


@dataclass
class Stored:
    """The object versions under one key: their sizes, and which one a plain read gets."""
    sizes: dict[str | None, int] = field(default_factory=dict)
    latest: str | None = None


def _listed(client: Minio, bucket: str, prefix: str) -> dict[str, Stored]:
    """Every key under `prefix` and its object versions: one listing instead of a
    request per object."""
    found: dict[str, Stored] = {}
    for obj in client.list_objects(bucket, prefix=prefix, recursive=True,
                                   include_version=True):
        if obj.is_delete_marker:
            continue
        stored = found.setdefault(obj.object_name, Stored())
        stored.sizes[obj.version_id] = obj.size
        if obj.is_latest == "true":
            stored.latest = obj.version_id
    return found


def _items(client: Minio, bucket: str, versions: list[dict],
           known: dict[tuple[str, str], dict]) -> list[dict]:
    """The object versions the snapshot names: each kept original and PDF rendition
    (pinned by their object version ids) and each extracted text. Cached page images are
    left out: they are drawn again from the rendition on demand."""
    texts = _listed(client, bucket, "texts/") if versions else {}
    renditions = _listed(client, bucket, "renditions/") if versions else {}
    items = []
    for row in versions:
        items.append({"kind": "original", "version": row["id"], "key": row["object_key"],
                      "version_id": row["object_version_id"], "sha256": row["sha256"].strip(),
                      "size": row["size"], "legal_hold": row["legal_hold"]})
        text = texts.get(row["text_key"])
        if row["extraction_status"] == "done" and text and text.latest in text.sizes:
            items.append({"kind": "text", "version": row["id"], "key": row["text_key"],
                          "version_id": text.latest, "sha256": None,
                          "size": text.sizes[text.latest], "legal_hold": False})
        if row["rendition_status"] == "done" and row["rendition_key"]:
            stored = renditions.get(row["rendition_key"], Stored())
            pinned = row["rendition_object_version"] or stored.latest
            if pinned not in stored.sizes:   # lost: `renditions rebuild` makes it again
                print(f"rendition {row['rendition_key']} (object version {pinned}) is not "
                      f"in the bucket: not backed up", file=sys.stderr)
                continue
            items.append({"kind": "rendition", "version": row["id"],
                          "key": row["rendition_key"], "version_id": pinned, "sha256": None,
                          "size": stored.sizes[pinned], "legal_hold": False})
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
        # listed (as incomplete) from now on, even if the dump is all it gets to
        dest.write_bytes(dest.backup_file(backup_id, "started"), b"")
        client = make_client(settings.minio)
        bucket = settings.minio.bucket
        known = _known(dest)
        dump = dest.backup_file(backup_id, "database.dump")
        hashed: list[HashingReader] = []

        def store_dump(stream) -> None:
            hashed.append(HashingReader(stream))
            dest.storage.write(dump, hashed[0])

        with snapshot(settings.secret("database_url")) as snap:
            taken_at = datetime.now(timezone.utc).isoformat()
            snap.dump(settings.database_url, store_dump)
            migrations, anchor, versions = snap.migrations(), snap.audit_anchor(), \
                snap.versions()
        items = _items(client, bucket, versions, known)
        progress = copy_all(client, bucket, dest, items, workers, max_rate)
        manifest = {
            "format": FORMAT, "id": backup_id, "procedura_version": procedura_version(),
            "snapshot_at": taken_at, "migrations": migrations, "audit_anchor": anchor,
            "settings": public_settings(settings), "source_bucket": bucket,
            "versions": len(versions),
            "files": [{"path": dump, "size": hashed[0].size,
                       "sha256": hashed[0].hexdigest()}],
            "objects": items,
            "copied": {"objects": progress.copied_objects,
                       "bytes": progress.copied_bytes},
            "seconds": round(time.monotonic() - started, 3),
        }
        dest.write_bytes(dest.backup_file(backup_id, "manifest.json"),
                         json.dumps(manifest, indent=1, ensure_ascii=False).encode())
        # every file the manifest names is there at its size before the backup counts
        # (the dump read back and hashed again)
        problems = check_files(dest, {f["path"]: (f["size"], f["sha256"])
                                      for f in manifest["files"]}, deep=True)
        problems += check_files(dest, {o["path"]: (o["size"], o["sha256"]) for o in items},
                                deep=False)
        if problems:
            raise BackupError("backup not marked complete: " +
                              "; ".join(str(p) for p in problems))
        dest.mark_complete(backup_id)
    return backup_id, manifest
