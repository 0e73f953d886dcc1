"""Where the procedura command finds Procedura's own files, and which migrations belong
to which database schema (migrate, backup restore)."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config" / "procedura.yaml"
SCHEMAS = ROOT / "docs" / "events"
MIGRATIONS = {"documents": "services.documents.migrations",
              "versioning": "services.versioning.migrations",
              "notifications": "services.notifications.migrations"}
