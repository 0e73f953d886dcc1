"""Which backups to keep (`--keep-daily N --keep-monthly M`), and the objects no kept
backup names any more."""
from __future__ import annotations

from dataclasses import dataclass, field

from procedura_cli.backup_manifest import Destination, referenced_files


def kept(backup_ids: list[str], daily: int, monthly: int) -> set[str]:
    """The newest backup of each of the `daily` latest days that have one, and of each
    of the `monthly` latest months (ids are UTC timestamps, YYYYMMDDTHHMMSS…Z)."""
    keep: set[str] = set()
    for width, count in ((8, daily), (6, monthly)):
        newest_per_period: dict[str, str] = {}
        for backup_id in sorted(backup_ids):
            newest_per_period[backup_id[:width]] = backup_id
        periods = sorted(newest_per_period)[-count:] if count > 0 else []
        keep.update(newest_per_period[p] for p in periods)
    return keep


@dataclass
class Pruned:
    removed_backups: list[str] = field(default_factory=list)
    removed_objects: int = 0
    freed_bytes: int = 0


def prune(dest: Destination, daily: int, monthly: int) -> Pruned:
    """Remove the backups not kept (and every unfinished one), then every object no
    remaining backup references. Holds the destination's lock: no backup is being
    written meanwhile, so an unfinished one is an interrupted one."""
    result = Pruned()
    storage = dest.storage
    with dest.locked():
        complete = dest.complete_ids()
        keep = kept(complete, daily, monthly)
        for backup_id in dest.backup_ids():
            if backup_id not in keep:
                # `complete` first: a prune cut short leaves an incomplete backup, never
                # a complete one missing files
                storage.remove(dest.backup_file(backup_id, "complete"))
                for key, _ in list(storage.files(f"backups/{backup_id}")):
                    storage.remove(key)
                result.removed_backups.append(backup_id)
        referenced: set[str] = set()
        for backup_id in keep:
            referenced.update(referenced_files(dest.manifest(backup_id)))
        for key, size in list(storage.files("objects/sha256")):
            if key not in referenced:   # unnamed, or a copy an interrupted run left
                result.freed_bytes += size
                storage.remove(key)
                result.removed_objects += int(not key.startswith("objects/sha256/tmp/"))
    return result
