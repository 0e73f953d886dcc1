"""SQL of the workflows: every version of each document type's workflow, and the version
a revision was submitted under (migration 012)."""
from __future__ import annotations

from uuid import UUID

from psycopg2.extras import Json

from services.contracts.workflows import StoredWorkflow, Workflow

_COLUMNS = "doc_type, version, definition, changed_by, changed_at, comment"


class WorkflowRepository:
    """The workflows' verbs over one transaction's cursor (`self.cur`)."""

    cur = None

    def workflow(self, doc_type: str, version: int | None = None,
                 lock: bool = False) -> StoredWorkflow | None:
        """The `version` of the type's workflow (None: the newest), None if not saved."""
        self.cur.execute(f"""SELECT {_COLUMNS} FROM workflows
                             WHERE doc_type = %s AND (%s::int IS NULL OR version = %s)
                             ORDER BY version DESC LIMIT 1"""
                         + (" FOR UPDATE" if lock else ""), (doc_type, version, version))
        row = self.cur.fetchone()
        return _stored(row) if row else None

    def workflow_history(self, doc_type: str) -> list[StoredWorkflow]:
        self.cur.execute(f"""SELECT {_COLUMNS} FROM workflows WHERE doc_type = %s
                             ORDER BY version DESC""", (doc_type,))
        return [_stored(row) for row in self.cur.fetchall()]

    def save_workflow(self, doc_type: str, version: int, workflow: Workflow,
                      changed_by: str, comment: str) -> None:
        """A new version (one already saved under that number is kept as it is)."""
        self.cur.execute("""INSERT INTO workflows (doc_type, version, definition, changed_by,
                                                   comment)
                            VALUES (%s, %s, %s, %s, %s)
                            ON CONFLICT (doc_type, version) DO NOTHING""",
                         (doc_type, version, Json(workflow.model_dump(mode="json")),
                          changed_by, comment))

    def start_chain(self, version_id: UUID, workflow_version: int) -> None:
        """The revision was submitted under this version of its type's workflow."""
        self.cur.execute("UPDATE revisions SET workflow_version = %s WHERE version_id = %s",
                         (workflow_version, version_id))


def _stored(row: dict) -> StoredWorkflow:
    return StoredWorkflow(type=row["doc_type"], version=row["version"],
                          workflow=Workflow.model_validate(row["definition"]),
                          changed_by=row["changed_by"], changed_at=row["changed_at"],
                          comment=row["comment"])
