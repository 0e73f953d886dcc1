"""A backup destination's storage: a directory writes whole files or none, and forgets a
removed backup; an s3:// destination has no credential by default."""
from __future__ import annotations

import hashlib
import io
from types import SimpleNamespace

import pytest

from procedura_cli.backup_manifest import Destination, check_files, destination_storage
from procedura_cli.backup_storage import BackupError, ContentMismatch, DirectoryStorage


class Breaks(io.BytesIO):
    """A source that fails halfway (a backup killed, a connection lost)."""

    def read(self, n=-1):
        if self.tell():
            raise ConnectionError("lost")
        return super().read(3)


def test_a_file_cut_short_leaves_nothing_under_its_name(tmp_path):
    storage = DirectoryStorage(tmp_path)
    with pytest.raises(ConnectionError):
        storage.write("backups/1/database.dump", Breaks(b"abcdef"))
    assert storage.size("backups/1/database.dump") is None
    assert list(storage.files("backups")) == []
    storage.write("backups/1/database.dump", io.BytesIO(b"abcdef"))
    assert list(storage.files("backups")) == [("backups/1/database.dump", 6)]


def test_an_object_lands_under_its_sha256_only_with_the_bytes_expected(tmp_path):
    dest = Destination(tmp_path)
    good = hashlib.sha256(b"abcdef").hexdigest()
    with pytest.raises(ContentMismatch):
        dest.storage.write_addressed(io.BytesIO(b"abcdeF"), 6, good, dest.object_path)
    assert list(dest.storage.files("objects")) == []
    assert dest.storage.write_addressed(io.BytesIO(b"abcdef"), 6, good,
                                        dest.object_path) == (good, 6)
    assert list(dest.storage.files("objects")) == [(dest.object_path(good), 6)]


def test_a_removed_backup_is_no_longer_listed(tmp_path):
    dest = Destination(tmp_path)
    dest.write_bytes("backups/20261206T013000000000Z/started", b"")
    assert dest.backup_ids() == ["20261206T013000000000Z"]
    assert dest.completeness("20261206T013000000000Z")[0].kind == "incomplete"
    dest.storage.remove("backups/20261206T013000000000Z/started")
    assert dest.backup_ids() == []


def test_check_files_names_missing_and_cut_files(tmp_path):
    dest = Destination(tmp_path)
    dest.write_bytes("objects/sha256/ab/ab1", b"12")
    problems = check_files(dest, {"objects/sha256/ab/ab1": (3, "x"),
                                  "objects/sha256/cd/cd1": (1, "y")}, deep=False)
    assert [(p.kind, p.path) for p in problems] == [
        ("truncated", "objects/sha256/ab/ab1"), ("missing", "objects/sha256/cd/cd1")]


@pytest.mark.parametrize("environ, named", [
    ({}, ["PROCEDURA_BACKUP_S3_ENDPOINT", "PROCEDURA_BACKUP_S3_ACCESS_KEY",
          "PROCEDURA_BACKUP_S3_SECRET_KEY"]),
    ({"PROCEDURA_BACKUP_S3_ENDPOINT": "s3.example.ro", "PROCEDURA_BACKUP_S3_ACCESS_KEY": "b",
      "PROCEDURA_BACKUP_S3_SECRET_KEY": "minioadmin"}, ["PROCEDURA_BACKUP_S3_SECRET_KEY"]),
])
def test_an_s3_destination_refuses_missing_or_known_credentials(environ, named):
    with pytest.raises(BackupError) as refused:
        destination_storage("s3://backups/procedura", environ)
    assert all(variable in str(refused.value) for variable in named)


def test_an_s3_destination_names_its_bucket():
    with pytest.raises(BackupError, match="names its bucket"):
        destination_storage("s3:///procedura", {})


def test_the_command_names_the_missing_variables_without_a_traceback(capsys, monkeypatch):
    from procedura_cli.backup_cli import _guarded, cmd_list

    for variable in ("PROCEDURA_BACKUP_S3_ENDPOINT", "PROCEDURA_BACKUP_S3_ACCESS_KEY",
                     "PROCEDURA_BACKUP_S3_SECRET_KEY"):
        monkeypatch.delenv(variable, raising=False)
    assert _guarded(cmd_list)(SimpleNamespace(dest="s3://somewhere/backups")) == 1
    said = capsys.readouterr().err
    assert said.startswith("backup: an s3:// destination needs PROCEDURA_BACKUP_S3_ENDPOINT")
