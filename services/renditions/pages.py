"""Renditions and page images for the API (owner: helper rapi, who replaces this
placeholder; the names and signatures are the shared contract's)."""
from __future__ import annotations

from uuid import UUID


def rendition_location(db, store, version_id: UUID) -> str:
    raise NotImplementedError("services/renditions/pages.py: rendition_location")


def page_image(db, store, settings, version_id: UUID, page: int, width: int,
               fmt: str) -> dict:
    raise NotImplementedError("services/renditions/pages.py: page_image")
