"""SQL of step deadlines: the step each revision waits in, its due date, and which of
its two notices went (migrations/005_step_deadlines.sql)."""
from __future__ import annotations

from datetime import date

_UPSERT = """
    INSERT INTO step_deadlines (version_id, status_seq, document_id, code, title, edition,
                                revision, owner_department, author, step, label_ro, role,
                                department, due_date, remind_on)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (version_id) DO UPDATE SET
        status_seq = EXCLUDED.status_seq, document_id = EXCLUDED.document_id,
        code = EXCLUDED.code, title = EXCLUDED.title, edition = EXCLUDED.edition,
        revision = EXCLUDED.revision, owner_department = EXCLUDED.owner_department,
        author = EXCLUDED.author, step = EXCLUDED.step, label_ro = EXCLUDED.label_ro,
        role = EXCLUDED.role, department = EXCLUDED.department,
        due_date = EXCLUDED.due_date, remind_on = EXCLUDED.remind_on,
        signed_by = '{}', reminded_at = NULL, escalated_at = NULL, updated_at = now()
    WHERE step_deadlines.status_seq < EXCLUDED.status_seq"""
# each notice is marked in its own column, only if not yet marked and only for the step
# the revision still waits in
_CLAIM = {
    False: """UPDATE step_deadlines SET reminded_at = now()
              WHERE version_id = %s AND status_seq = %s AND due_date IS NOT NULL
                AND reminded_at IS NULL""",
    True: """UPDATE step_deadlines SET escalated_at = now()
             WHERE version_id = %s AND status_seq = %s AND due_date IS NOT NULL
               AND escalated_at IS NULL"""}


class StepDeadlineRepository:
    def __init__(self, cur):
        self.cur = cur

    def follow(self, data, deadline) -> bool:
        """The revision of `data` (a transition) now waits in the step of `deadline`, or
        in none with a deadline (None). Heard only when newer than what is kept (a
        higher status_seq); returns whether it was."""
        step = ((deadline.step, deadline.label_ro, deadline.role.value, deadline.department,
                 deadline.due_date, deadline.remind_on) if deadline
                else (None,) * 6)
        self.cur.execute(_UPSERT, (data.version_id, data.status_seq, data.document_id,
                                   data.code, data.title, data.edition, data.revision,
                                   data.owner_department, data.author, *step))
        return self.cur.rowcount == 1

    def signed(self, version_id, status_seq: int, signer: str) -> None:
        """`signer` signed the step entered at `status_seq`, its quorum not yet reached."""
        self.cur.execute("""UPDATE step_deadlines SET signed_by = array_append(signed_by, %s)
                            WHERE version_id = %s AND status_seq = %s
                              AND NOT %s = ANY(signed_by)""",
                         (signer, version_id, status_seq, signer))

    def owed(self, today: date) -> list[dict]:
        """Steps still waiting whose reminder day has come and whose escalation has not
        gone, oldest due first."""
        self.cur.execute("""SELECT * FROM step_deadlines
                            WHERE due_date IS NOT NULL AND escalated_at IS NULL
                              AND remind_on <= %s
                            ORDER BY due_date, version_id""", (today,))
        return self.cur.fetchall()

    def claim(self, version_id, status_seq: int, escalation: bool) -> bool:
        """Mark the reminder (or the escalation) of the step entered at `status_seq` as
        sent; False when it went already or the revision has left that step since (the
        caller then sends nothing): each notice once, whatever the workers and retries."""
        self.cur.execute(_CLAIM[bool(escalation)], (version_id, status_seq))
        return self.cur.rowcount == 1
