"""What a rendition engine's child process gets of the worker's environment
(services/renditions/engines/processes.py child_environment): PATH and what it names, never
Procedura's secrets."""
from services.renditions.engines.processes import child_environment


def test_a_child_gets_path_and_the_variables_named_never_a_secret(monkeypatch):
    monkeypatch.setenv("PATH", "/opt/engines/bin:/usr/bin")
    monkeypatch.setenv("LANG", "ro_RO.UTF-8")
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setenv("PROCEDURA_AUTH_SECRET", "a-secret-a-child-must-not-see-0123456789")
    monkeypatch.setenv("PROCEDURA_DATABASE_URL", "postgresql://procedura:pw@db/procedura")

    assert child_environment("LANG", "HOME") == {"PATH": "/opt/engines/bin:/usr/bin",
                                                 "LANG": "ro_RO.UTF-8"}
    assert child_environment() == {"PATH": "/opt/engines/bin:/usr/bin"}


def test_values_given_are_set_on_top_of_what_is_passed_on(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/local/bin:/usr/bin")
    monkeypatch.setenv("LANG", "ro_RO.UTF-8")
    assert child_environment("LANG", LANG="C.UTF-8", HOME="/tmp/slot-0") == {
        "PATH": "/usr/local/bin:/usr/bin", "LANG": "C.UTF-8", "HOME": "/tmp/slot-0"}


def test_without_a_path_the_child_looks_in_the_system_folders(monkeypatch):
    monkeypatch.delenv("PATH", raising=False)
    assert child_environment()["PATH"] == "/usr/bin:/bin"
