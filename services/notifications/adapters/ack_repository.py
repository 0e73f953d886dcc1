"""SQL of acknowledgements: distribution lists of revisions in force and who confirmed."""
from __future__ import annotations

from datetime import date

from services.contracts.errors import Conflict, Forbidden

_ROW = """SELECT a.version_id, l.document_id, l.code, l.title, l.edition, l.revision,
                 l.due_date, l.confidential, l.closed_at, a.username, a.full_name,
                 a.department, a.function, a.notified_at, a.acknowledged_at, a.withheld
          FROM acknowledgements a JOIN distribution_lists l USING (version_id)"""
# a record withheld (the person is no longer on the list, or may no longer read the
# document) is on no list, report or reminder until the person is allowed again
_SHOWN = " AND NOT a.withheld"


class AcknowledgementRepository:
    def __init__(self, cur):
        self.cur = cur

    def open_list(self, data, in_force_on: date, due: date, people) -> int:
        """Record the distribution list of a revision that came into force: `people`
        are (User, notified_at) pairs, resolved now. Returns how many were added."""
        self.cur.execute(
            """INSERT INTO distribution_lists (version_id, document_id, code, title, edition,
                   revision, owner_department, distribution, confidential, in_force_on,
                   due_date)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (version_id) DO NOTHING""",
            (data.version_id, data.document_id, data.code, data.title, data.edition,
             data.revision, data.owner_department, list(data.distribution), data.confidential,
             in_force_on, due))
        added = 0
        for user, notified_at in people:
            self.cur.execute(
                """INSERT INTO acknowledgements (version_id, username, full_name, department,
                                                 function, notified_at)
                   VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
                (data.version_id, user.username, user.full_name, user.department,
                 user.function, notified_at))
            added += self.cur.rowcount
        return added

    def close_list(self, version_id) -> None:
        """The revision is no longer in force: nobody still has to confirm it."""
        self.cur.execute("""UPDATE distribution_lists SET closed_at = now()
                            WHERE version_id = %s AND closed_at IS NULL""", (version_id,))

    def acknowledge(self, username: str, version_id) -> tuple[dict, bool]:
        """The person's record, confirmed now if it was not yet; (row, newly confirmed)."""
        self.cur.execute(_ROW + " WHERE a.version_id = %s AND a.username = %s FOR UPDATE OF a",
                         (version_id, username))
        row = self.cur.fetchone()
        if row is None or row["withheld"]:
            self.cur.execute("SELECT 1 FROM distribution_lists WHERE version_id = %s",
                             (version_id,))
            if self.cur.fetchone() is None:
                # not in force yet, or in force a moment ago and its event not yet here:
                # nobody is refused a list that does not exist yet
                raise Conflict("the distribution list of this revision is not open: it opens "
                               "when the revision comes into force (a few seconds after its "
                               "approval); try again then",
                               {"version_id": str(version_id)})
            raise Forbidden("you are not on the distribution list of this revision",
                            {"version_id": str(version_id), "username": username})
        if row["acknowledged_at"] is not None:
            return row, False
        if row["closed_at"] is not None:
            raise Conflict("this revision is no longer in force; there is nothing to confirm",
                           {"version_id": str(version_id)})
        self.cur.execute("""UPDATE acknowledgements SET acknowledged_at = now()
                            WHERE version_id = %s AND username = %s
                            RETURNING acknowledged_at""", (version_id, username))
        row["acknowledged_at"] = self.cur.fetchone()["acknowledged_at"]
        return row, True

    def due_date(self, version_id) -> date | None:
        self.cur.execute("SELECT due_date FROM distribution_lists WHERE version_id = %s",
                         (version_id,))
        row = self.cur.fetchone()
        return row["due_date"] if row else None

    def people(self, version_id) -> list[tuple]:
        """The people on one list, as (username, full_name, department, function,
        notified_at, acknowledged_at): only the columns of the report, as plain rows (a
        city hall's list runs to thousands, and a dict per row costs more than the query)."""
        with self.cur.connection.cursor() as plain:    # same transaction, tuples
            plain.execute("""SELECT username, full_name, department, function, notified_at,
                                    acknowledged_at
                             FROM acknowledgements a WHERE version_id = %s""" + _SHOWN + """
                             ORDER BY department, full_name""", (version_id,))
            return plain.fetchall()

    def of_department(self, department: str | None, limit: int = 5000) -> list[dict]:
        """Every person's record in `department` (all departments: None), newest
        revisions first."""
        self.cur.execute(_ROW + """ WHERE (%s::text IS NULL OR a.department = %s)""" + _SHOWN
                         + """ ORDER BY l.created_at DESC, a.department, a.full_name
                                    LIMIT %s""", (department, department, limit))
        return self.cur.fetchall()

    def pending_for(self, username: str) -> list[dict]:
        """What a person still has to confirm (revisions still in force), due first."""
        self.cur.execute(_ROW + """ WHERE a.username = %s AND a.acknowledged_at IS NULL
                                      AND l.closed_at IS NULL""" + _SHOWN + """
                                    ORDER BY l.due_date, l.code""", (username,))
        return self.cur.fetchall()

    def awaiting_reminder(self, today: date, days_before: int) -> list[dict]:
        """People who have not confirmed a revision still in force, whose due date is
        at most `days_before` days away or past, and who have not had the overdue
        reminder; locked until the caller's transaction ends (others skip them)."""
        self.cur.execute(_ROW.replace("SELECT", "SELECT a.reminded_before_at,", 1) + """
                         WHERE l.closed_at IS NULL AND a.acknowledged_at IS NULL
                           AND a.reminded_after_at IS NULL AND l.due_date - %s <= %s"""
                         + _SHOWN + """
                         ORDER BY a.version_id, a.username
                         FOR UPDATE OF a SKIP LOCKED""", (days_before, today))
        return self.cur.fetchall()

    def recipients(self, document_id) -> dict[str, str]:
        """Everyone on a distribution list of the document: username → department (then)."""
        self.cur.execute("""SELECT DISTINCT a.username, a.department
                            FROM acknowledgements a JOIN distribution_lists l USING (version_id)
                            WHERE l.document_id = %s""", (document_id,))
        return {row["username"]: row["department"] for row in self.cur.fetchall()}

    def follow(self, facts, shown: list[str], withheld: list[str]) -> None:
        """The document's lists take its confidentiality and distribution as they are now;
        the records of `shown` are on them, those of `withheld` not."""
        self.cur.execute("""UPDATE distribution_lists SET confidential = %s, distribution = %s
                            WHERE document_id = %s""",
                         (facts.confidential, list(facts.distribution), facts.document_id))
        for value, usernames in ((False, shown), (True, withheld)):
            self.cur.execute("""UPDATE acknowledgements a SET withheld = %s
                                FROM distribution_lists l
                                WHERE l.version_id = a.version_id AND l.document_id = %s
                                  AND a.username = ANY(%s) AND a.withheld <> %s""",
                             (value, facts.document_id, usernames, value))

    def mark_reminded(self, version_id, username: str, after: bool) -> None:
        if after:
            self.cur.execute("""UPDATE acknowledgements SET reminded_after_at = now()
                                WHERE version_id = %s AND username = %s""",
                             (version_id, username))
        else:
            self.cur.execute("""UPDATE acknowledgements SET reminded_before_at = now()
                                WHERE version_id = %s AND username = %s""",
                             (version_id, username))
