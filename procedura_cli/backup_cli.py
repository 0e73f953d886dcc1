"""`procedura backup create|verify|list|prune|restore DEST` (docs/backup.md).

Hooked into procedura_cli/main.py with `backup_cli.register(sub)`.
"""
from __future__ import annotations

import argparse
import errno
import os
import sys
import time
from types import SimpleNamespace

from procedura_cli import integrity_cli, renditions_cli, search_cli
from procedura_cli.backup_manifest import BackupError, Destination, open_destination, verify
from procedura_cli.localenv import environment


def _settings(args):
    from procedura_cli.localenv import operator_config
    from services.common.settings import Settings

    return Settings.from_config(operator_config(args.config))


def _destination(args) -> Destination:
    # an s3:// destination's service and keys: PROCEDURA_BACKUP_S3_* (docs/backup.md)
    return open_destination(args.dest, environment())


def cmd_create(args) -> int:
    """Back up the database and every object it names into DEST."""
    from procedura_cli.backup_create import create

    os.umask(0o077)   # the dump holds password hashes and personal data: owner only
    backup_id, manifest = create(_settings(args), _destination(args), args.workers,
                                 args.max_rate * 1024 * 1024)
    copied = manifest["copied"]
    print(f"backup {backup_id} complete: {manifest['versions']} versions, "
          f"{len(manifest['objects'])} objects ({copied['objects']} copied, "
          f"{copied['bytes']} bytes), audit anchor {manifest['audit_anchor']['last_hash']}, "
          f"{manifest['seconds']} s")
    if args.keep_daily or args.keep_monthly:   # retention only after a complete backup
        return cmd_prune(args)
    return 0


def cmd_verify(args) -> int:
    """Hash every file of a backup again; exit 1 naming each missing or damaged one."""
    dest = _destination(args)
    ids = dest.backup_ids() if args.all else [args.backup or _newest(dest)]
    failed = False
    for backup_id in ids:
        if backup_id not in dest.backup_ids():
            raise BackupError(f"{dest.name} holds no backup {backup_id}")
        problems = verify(dest, backup_id)
        for problem in problems:
            print(problem)
        print(f"backup {backup_id}: " + (f"{len(problems)} problem(s)" if problems else "intact"),
              file=sys.stderr)
        failed = failed or bool(problems)
    return 1 if failed else 0


def _newest(dest: Destination) -> str:
    """The newest backup, complete or not (verify says which)."""
    ids = dest.backup_ids()
    if not ids:
        raise BackupError(f"{dest.name} holds no backup")
    return ids[-1]


def cmd_list(args) -> int:
    """Every backup of DEST, oldest first, and whether it is complete."""
    dest = _destination(args)
    for backup_id in dest.backup_ids():
        if dest.is_complete(backup_id):
            manifest = dest.manifest(backup_id)
            print(f"{backup_id}  complete    {manifest['versions']:6} versions  "
                  f"{len(manifest['objects']):6} objects  "
                  f"Procedura {manifest['procedura_version']}")
        else:
            print(f"{backup_id}  incomplete")
    return 0


def cmd_prune(args) -> int:
    """Keep the newest backup of the last N days and M months; remove the rest and
    every object no kept backup references."""
    from procedura_cli.backup_retention import prune

    if args.keep_daily < 1 and args.keep_monthly < 1:
        raise BackupError("--keep-daily or --keep-monthly must keep at least one backup")
    pruned = prune(_destination(args), args.keep_daily, args.keep_monthly)
    for backup_id in pruned.removed_backups:
        print(f"removed {backup_id}")
    print(f"{len(pruned.removed_backups)} backup(s) and {pruned.removed_objects} object(s) "
          f"removed, {pruned.freed_bytes} bytes freed")
    return 0


def _confirmed(args, settings) -> bool:
    import psycopg2.extensions

    database = psycopg2.extensions.parse_dsn(settings.secret("database_url"))["dbname"]
    typed = args.confirm if args.confirm is not None else input(
        f"Every document of database {database} will be replaced by the backup. "
        f"Type its name to go on: ")
    if typed.strip() != database:
        print(f"not confirmed (typed {typed.strip()!r}, not {database!r}): nothing restored",
              file=sys.stderr)
        return False
    return True


def cmd_restore(args) -> int:
    """Restore a complete backup into an empty installation, then prove it."""
    from procedura_cli.backup_restore import restore

    settings = _settings(args)
    if args.replace and not _confirmed(args, settings):
        return 1
    started = time.monotonic()   # the RTO's share of the restore (docs/backup.md)
    dest = _destination(args)
    result = restore(settings, dest, args.backup, args.replace)
    manifest = dest.manifest(result.backup_id)
    print(f"restored backup {result.backup_id} (taken {manifest['snapshot_at']} by "
          f"Procedura {manifest['procedura_version']}): {result.versions} versions, "
          f"{result.objects} objects ({result.renditions} PDF renditions), {result.bytes} "
          f"bytes, {result.holds} legal holds, "
          f"migrations applied: {', '.join(result.migrations_applied) or 'none'}; "
          f"{result.seconds} s")
    if args.replace:
        print(f"replaced installation: {result.removed} object versions no restored row "
              f"names removed")
    checking = time.monotonic()
    failed = [name for name, ok in _checks(args, manifest["audit_anchor"]) if not ok]
    print(f"checks took {time.monotonic() - checking:.1f} s, the whole restore "
          f"{time.monotonic() - started:.1f} s")
    print("restore proven: search index rebuilt, originals intact, audit trail holds the "
          "backup's anchor, renditions the backup lacks are being made" if not failed
          else f"restore NOT proven: {', '.join(failed)} failed (see above)")
    return 1 if failed else 0


def _checks(args, anchor: dict) -> list[tuple[str, bool]]:
    """With the services running: search reindex, verify-integrity, audit verify; and
    the PDF renditions the backup lacks (made by a release before renditions, or in the
    making at the snapshot) started in the background."""
    anchors = [anchor["last_hash"]] if anchor["entries"] else []
    steps = (
        ("search reindex", lambda: search_cli.cmd_reindex(SimpleNamespace(
            config=args.config, timeout=args.timeout, batch=200, keep_old=False))),
        ("verify-integrity", lambda: integrity_cli.cmd_verify_integrity(SimpleNamespace(
            config=args.config, timeout=3600))),
        ("audit verify --anchor", lambda: integrity_cli.cmd_audit_verify(SimpleNamespace(
            config=args.config, anchor=anchors))),
        ("renditions rebuild --missing", lambda: renditions_cli.cmd_rebuild(SimpleNamespace(
            config=args.config, all=False, no_wait=True, rpc_timeout=args.timeout))),
    )
    outcome = []
    for name, step in steps:
        try:
            ok = step() == 0
        except Exception as exc:   # a service not running: said, and the restore unproven
            print(f"{name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            ok = False
        outcome.append((name, ok))
    return outcome


def _guarded(func):
    def run(args) -> int:
        try:
            return func(args)
        except BackupError as exc:
            print(f"backup: {exc}", file=sys.stderr)
            return 1
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
            print(f"backup: the destination is full ({exc}); nothing was marked complete",
                  file=sys.stderr)
            return 1
    return run


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `backup create|verify|list|prune|restore` to the `procedura` command."""
    backup = subparsers.add_parser("backup", help="back up, verify and restore everything")
    commands = backup.add_subparsers(dest="backup_command", required=True)

    def verb(name, func):
        command = commands.add_parser(name, help=func.__doc__)
        command.add_argument("dest", help="the backup destination: a directory, or "
                                            "s3://bucket/prefix (PROCEDURA_BACKUP_S3_*)")
        command.set_defaults(func=_guarded(func))
        return command

    create = verb("create", cmd_create)
    create.add_argument("--workers", type=int, default=4, help="objects copied at once")
    create.add_argument("--max-rate", type=float, default=0, metavar="MB_PER_S",
                        help="read at most this many MB/s from object storage (0: no limit)")
    create.add_argument("--keep-daily", type=int, default=0, metavar="N",
                        help="then prune: keep the newest backup of each of the last N days")
    create.add_argument("--keep-monthly", type=int, default=0, metavar="M",
                        help="then prune: ... and of each of the last M months")
    check = verb("verify", cmd_verify)
    check.add_argument("--backup", metavar="ID", help="this backup (default: the newest)")
    check.add_argument("--all", action="store_true", help="every backup of DEST")
    verb("list", cmd_list)
    prune = verb("prune", cmd_prune)
    prune.add_argument("--keep-daily", type=int, default=7, metavar="N")
    prune.add_argument("--keep-monthly", type=int, default=12, metavar="M")
    restore = verb("restore", cmd_restore)
    restore.add_argument("--backup", metavar="ID", help="this backup (default: the newest "
                                                        "complete one)")
    restore.add_argument("--replace", action="store_true",
                         help="replace an installation that holds documents (asks to type "
                              "the database's name)")
    restore.add_argument("--confirm", metavar="DATABASE",
                         help="with --replace: the database's name, typed in advance")
    restore.add_argument("--timeout", type=float, default=120,
                         help="RPC timeout of the checks after the restore")
