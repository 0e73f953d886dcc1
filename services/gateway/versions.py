"""A version as the REST API and the web pages show it: the documents service's revision
(whose answer also decides who may read it) with the versioning service's manifest."""
from __future__ import annotations

from services.contracts.models import Revision, User, Version, VersionManifest


def load(deps, user: User, version_id: str) -> Version:
    """The version `version_id` for `user`: NotFound when it does not exist or when the
    person may not read it (a confidential document's version does not exist for them)."""
    revision = Revision.model_validate(deps.documents.get_revision(user.username, version_id))
    manifest = VersionManifest.model_validate(deps.versioning.get(version_id))
    return Version.combine(revision, manifest)
