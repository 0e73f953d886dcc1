"""`procedura`'s commands: each module of commands is imported only when one of its commands
is named (procedura_cli/main.py), and help still lists every command."""
from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

import pytest

from procedura_cli import main


def _commands(register) -> set[str]:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    register(sub)
    return set(sub.choices)


def test_the_map_names_every_command_each_module_registers():
    modules = set(main.COMMAND_MODULES.values())
    for module in modules:
        registered = _commands(importlib.import_module(f"procedura_cli.{module}").register)
        assert registered == {c for c, m in main.COMMAND_MODULES.items() if m == module}


@pytest.mark.parametrize("argv, modules", [
    (["migrate"], []),
    (["--config", "backup", "wait-ready", "--timeout", "90"], []),
    (["--config=x.yaml", "renditions", "rebuild", "--missing"], ["renditions_cli"]),
    (["audit", "verify"], ["integrity_cli"]),
    (["doctor"], ["doctor_cli"]),
])
def test_only_the_named_command_s_module_is_used(argv, modules):
    assert main._command_modules(argv) == modules


@pytest.mark.parametrize("argv", [[], ["--help"], ["no-such-command"]])
def test_help_and_a_mistyped_command_know_every_command(argv):
    assert set(main._command_modules(argv)) == set(main.COMMAND_MODULES.values())


def test_help_lists_the_commands_of_every_module_and_migrate_loads_none_of_them():
    listed = subprocess.run([sys.executable, "-m", "procedura_cli.main", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    for command in [*main.COMMAND_MODULES, *main.BUILT_IN]:
        assert command in listed.stdout.split("{", 1)[1].split("}", 1)[0].split(",")
    probe = subprocess.run(
        [sys.executable, "-c", "import sys\nfrom procedura_cli import main\n"
         "try:\n    main.main(['migrate', '--help'])\nexcept SystemExit:\n    pass\n"
         "print(sorted(m for m in sys.modules if m.startswith('procedura_cli.') "
         "and m.endswith('_cli')))"],
        capture_output=True, text=True, timeout=60)
    assert probe.stdout.strip().splitlines()[-1] == "[]", probe.stdout + probe.stderr
