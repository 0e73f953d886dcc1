"""Procedura's development environment, shared by the tests and the benchmarks: an
isolated environment on the local stack (environment.py), its services running as
processes (running.py), a generated corpus (corpus.py), sample documents (samples.py)
and a real SMTP server (mailserver.py). Not shipped: pyproject.toml packages only
services and procedura_cli."""
