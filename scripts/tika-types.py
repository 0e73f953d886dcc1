#!/usr/bin/env python3
"""Write services/versioning/domain/tika-types.json: what the pinned Tika can read, so an upload
is accepted or refused (415) without asking Tika (docs/adr/0004-uploads-never-wait-for-tika.md).

Run it after changing TIKA_VERSION in scripts/stack.sh (and the image of
deploy/k8s/components/tika), with that Tika running:

    .venv/bin/python scripts/tika-types.py [--tika http://127.0.0.1:9998] [--jar PATH]

From the server: the media types its parsers declare (/parsers/details). From the jar's
type registry (org/apache/tika/mime/tika-mimetypes.xml): aliases, each type's supertype
(a type Tika has no parser for is read by its supertype's parser) and the file name
extensions, which only ever narrow a container the bytes were recognised as.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import requests

from services.versioning.adapters.tika import Tika

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "services" / "versioning" / "domain" / "tika-types.json"
REGISTRY = "org/apache/tika/mime/tika-mimetypes.xml"


def stack_tika_version() -> str:
    match = re.search(r"^TIKA_VERSION=(\S+)", (ROOT / "scripts" / "stack.sh").read_text(),
                      re.M)
    assert match, "TIKA_VERSION not found in scripts/stack.sh"
    return match.group(1)


def registry(jar: Path) -> tuple[dict, dict, dict]:
    with zipfile.ZipFile(jar) as archive:
        root = ET.fromstring(archive.read(REGISTRY))
    supertypes, aliases, extensions = {}, {}, {}
    for node in root.iter("mime-type"):
        name = node.get("type").lower()
        for child in node:
            if child.tag == "sub-class-of":
                supertypes.setdefault(name, child.get("type").lower())
            elif child.tag == "alias":
                aliases[child.get("type").lower()] = name
            elif child.tag == "glob" and child.get("isregex") != "true":
                pattern = child.get("pattern", "")
                if re.fullmatch(r"\*\.[A-Za-z0-9_+-]+", pattern):
                    extensions.setdefault(pattern[2:].lower(), name)   # first one wins
    return supertypes, aliases, extensions


def main() -> int:
    version = stack_tika_version()
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tika", default="http://127.0.0.1:9998")
    parser.add_argument("--jar", type=Path, default=Path.home() / ".cache" / "procedura" /
                        "dl" / f"tika-server-standard-{version}.jar")
    args = parser.parse_args()
    served = requests.get(f"{args.tika}/version", timeout=10).text
    if version not in served:
        print(f"the Tika at {args.tika} is {served!r}, scripts/stack.sh pins {version}",
              file=sys.stderr)
        return 1
    parsed = Tika(args.tika, timeout=60, max_characters=0).parsed_types()
    supertypes, aliases, extensions = registry(args.jar)
    OUT.write_text(json.dumps({
        "tika_version": version,
        "parsed": sorted(parsed),
        "supertypes": dict(sorted(supertypes.items())),
        "aliases": dict(sorted(aliases.items())),
        "extensions": dict(sorted(extensions.items())),
    }, indent=0, ensure_ascii=False) + "\n")
    print(f"{OUT.relative_to(ROOT)}: Tika {version}, {len(parsed)} parsed types")
    return 0


if __name__ == "__main__":
    sys.exit(main())
