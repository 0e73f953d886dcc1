"""Search tests run against the real Elasticsearch (with Procedura's analysis plugin),
in an index of their own."""
import contextlib
import uuid
from typing import Iterator

import pytest

from services.search.adapters.index import VersionIndex
from tests.testenv import ELASTICSEARCH_URL


@contextlib.contextmanager
def fresh_index(alias: str) -> Iterator[VersionIndex]:
    """The alias `alias` and its index, made anew; deleted afterwards."""
    index = VersionIndex(ELASTICSEARCH_URL, alias)

    def delete() -> None:
        for name in index.es.indices.get(index=f"{index.alias}*", ignore_unavailable=True):
            index.es.indices.delete(index=name)

    delete()
    index.ensure()
    try:
        yield index
    finally:
        delete()


@pytest.fixture(scope="session")
def search_index(stack, run_id):
    """A fresh alias `procedura-<run>s-versions` and its index; deleted afterwards."""
    with fresh_index(f"procedura-{run_id}s-versions") as index:
        yield index


def entry(code: str, title: str, content: str, owner: str = "DJ",
          distribution: tuple[str, ...] = ("DJ",), confidential: bool = False,
          process: str | None = None, year: int = 2026, edition: int = 1, revision: int = 0,
          document_id: str | None = None, type: str = "PO",
          created_at: str | None = None) -> dict:
    """One index entry, as the projection writes it."""
    vid = str(uuid.uuid4())
    return {"version_id": vid, "document_id": document_id or str(uuid.uuid4()), "code": code,
            "title": title, "type": type, "owner_department": owner,
            "distribution": list(distribution), "confidential": confidential,
            "process": process, "edition": edition, "revision": revision, "year": year,
            "created_at": created_at or f"{year}-03-01T10:00:00Z", "content": content,
            "has_text": True}
