"""Rebuild the search index from the source of truth, and check it against it.

The distribution has no `_reindex`: `reindex` reads every version from the documents and
versioning services (texts from their MinIO renditions), bulk-indexes them into a new
`<alias>-v<N>` and moves the alias with one `_aliases` call, so searches answer from the
old index until the new one is complete. Events handled during the build land in the old
index; a repair pass after the swap re-applies whatever changed meanwhile.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Protocol

from elasticsearch import helpers

from services.contracts.models import Revision
from services.search.adapters.index import VersionIndex, index_body
from services.search.projections import entry, texts

# the fields `verify` compares (content is not compared: see docs/search.md)
CHECKED = ("document_id", "code", "title", "type", "owner_department", "distribution",
           "confidential", "process", "edition", "revision", "status", "status_seq",
           "has_text")


@dataclass(frozen=True)
class SourceVersion:
    revision: Revision
    extraction: str            # "done", "failed" or "pending" (versioning's manifest)


class Source(Protocol):
    """The source of truth, as the rebuild needs it."""

    def versions(self) -> list[SourceVersion]: ...

    def text(self, version_id: str) -> str: ...


class RpcSource:
    """Documents and versioning over RPC: the source of truth of the index."""

    def __init__(self, documents, versioning):
        self.documents, self.versioning = documents, versioning

    def versions(self) -> list[SourceVersion]:
        """Every version that has a revision in the register (a stored version whose
        revision was never committed has nothing to show)."""
        found, extraction = [], {}
        revisions = [Revision.model_validate(r) for r in self.documents.all_revisions()]
        for document_id in {str(r.document.id) for r in revisions}:
            for manifest in self.versioning.history(document_id):
                # disposed content has no text any more: indexed without it
                extraction[manifest["id"]] = ("disposed" if manifest.get("disposed_at")
                                              else manifest["extraction"]["status"])
        for revision in revisions:
            status = extraction.get(str(revision.version_id))
            if status is not None:
                found.append(SourceVersion(revision, status))
        return found

    def text(self, version_id: str) -> str:
        """The text rendition, through a short-lived URL from versioning."""
        response = texts.get(self.versioning.text_location(version_id), timeout=60)
        response.raise_for_status()
        response.encoding = "utf-8"
        return response.text


def expected_entry(source: Source, version: SourceVersion, with_content: bool) -> dict:
    """What the index should hold for `version` (status included)."""
    has_text = version.extraction == "done"
    text = source.text(str(version.revision.version_id)) if has_text and with_content else ""
    return {**entry(version.revision, text, has_text), "status": version.revision.status.value,
            "status_seq": version.revision.status_seq}


@dataclass
class Report:
    missing: list[str] = field(default_factory=list)
    stale: dict[str, list[str]] = field(default_factory=dict)
    orphan: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.orphan)


def verify(index: VersionIndex, source: Source,
           versions: Iterable[SourceVersion] | None = None) -> Report:
    """Compare the index with the source of truth. A version still waiting for its
    text may be absent (the extraction event will index it): not reported missing."""
    indexed = {h["_id"]: h["_source"] for h in helpers.scan(
        index.es, index=index.alias, query={"query": {"match_all": {}}},
        _source_excludes=["content"])}
    report = Report()
    seen = set()
    for version in (source.versions() if versions is None else versions):
        vid = str(version.revision.version_id)
        seen.add(vid)
        current = indexed.get(vid)
        if current is None:
            if version.extraction != "pending":
                report.missing.append(vid)
            continue
        expected = expected_entry(source, version, with_content=False)
        if version.extraction == "pending":
            expected["has_text"] = current.get("has_text")
        differ = [f for f in CHECKED if _normal(current.get(f)) != _normal(expected.get(f))]
        if differ:
            report.stale[vid] = differ
    report.orphan = sorted(set(indexed) - seen)
    return report


def _normal(value):
    return sorted(value) if isinstance(value, list) else value


def next_index_name(index: VersionIndex) -> str:
    """`<alias>-v<N>`, N one more than any index of that alias so far."""
    names = index.es.indices.get(index=f"{index.alias}-v*", ignore_unavailable=True)
    numbers = [int(m.group(1)) for n in names
               if (m := re.fullmatch(re.escape(index.alias) + r"-v(\d+)", n))]
    return f"{index.alias}-v{max(numbers, default=0) + 1}"


def reindex(index: VersionIndex, source: Source, batch: int = 200,
            progress: Callable[[int, int], None] | None = None,
            keep_old: bool = False) -> tuple[str, int, Report]:
    """Build a new index from `source`, swap the alias to it atomically, then repair
    what changed during the build. Returns (new index, versions indexed, repair report)."""
    versions = source.versions()
    name = next_index_name(index)
    body = index_body(index.shards, index.replicas)
    body["settings"] = {**body["settings"], "refresh_interval": "-1"}
    index.es.indices.create(index=name, **body)
    done = 0
    for start in range(0, len(versions), batch):
        operations: list[dict] = []
        for version in versions[start:start + batch]:
            doc = expected_entry(source, version, with_content=True)
            operations += [{"index": {"_index": name, "_id": doc["version_id"]}}, doc]
        response = index.es.bulk(operations=operations)
        if response["errors"]:
            failed = [i for i in response["items"] if i["index"].get("error")]
            raise RuntimeError(f"bulk indexing failed: {failed[:3]}")
        done += len(operations) // 2
        if progress:
            progress(done, len(versions))
    index.es.indices.put_settings(index=name, settings={"refresh_interval": None})
    index.es.indices.refresh(index=name)
    old = list(index.es.indices.get_alias(name=index.alias, ignore_unavailable=True)) \
        if index.es.indices.exists_alias(name=index.alias) else []
    index.es.indices.update_aliases(actions=[
        *({"remove": {"index": o, "alias": index.alias}} for o in old),
        {"add": {"index": name, "alias": index.alias}}])
    report = repair(index, source)
    if not keep_old:
        for o in old:
            index.es.indices.delete(index=o)
    return name, done, report


def repair(index: VersionIndex, source: Source) -> Report:
    """Re-apply from the source every missing or stale entry. Orphans are only
    reported: one may be a version whose revision is being committed right now.
    Returns what was found before repairing."""
    versions = source.versions()
    report = verify(index, source, versions)
    by_id = {str(v.revision.version_id): v for v in versions}
    for vid in [*report.missing, *report.stale]:
        doc = expected_entry(source, by_id[vid], with_content=True)
        status, seq = doc.pop("status"), doc.pop("status_seq")
        index.upsert(vid, doc, status=status, status_seq=seq)
    index.es.indices.refresh(index=index.alias)
    return report
