"""SQL of the staff the directory is the source of, and of the syncs with their reports."""
from __future__ import annotations

from psycopg2.extras import Json

from services.documents.adapters.directory import DirectoryPerson

# the stored "password" of a person of the directory: no argon2 hash, so no local
# password ever verifies for them (services/documents/use_cases/logins.py)
NO_LOCAL_PASSWORD = "!directory"
FIELDS = ("full_name", "department", "function", "roles", "email")


class DirectoryRepository:
    """Domain verbs over one transaction's cursor."""

    def __init__(self, cur):
        self.cur = cur

    def staff(self) -> dict[str, dict]:
        """Every person, by user name, with what the directory last said of them and
        where they come from (`source`: local or directory)."""
        self.cur.execute("""SELECT username, full_name, department, function, roles, email,
                                   active, source FROM staff""")
        return {row["username"]: row for row in self.cur.fetchall()}

    def save(self, person: DirectoryPerson) -> None:
        """The person as the directory has them now, active (added, changed or back)."""
        self.cur.execute(
            """INSERT INTO staff (username, full_name, department, function, roles,
                                  password_hash, active, source, email, directory_dn, synced_at)
               VALUES (%s, %s, %s, %s, %s, %s, true, 'directory', %s, %s, now())
               ON CONFLICT (username) DO UPDATE SET full_name = EXCLUDED.full_name,
                   department = EXCLUDED.department, function = EXCLUDED.function,
                   roles = EXCLUDED.roles, password_hash = EXCLUDED.password_hash,
                   active = true, source = 'directory', email = EXCLUDED.email,
                   directory_dn = EXCLUDED.directory_dn, synced_at = now()""",
            (person.username, person.full_name, person.department, person.function,
             list(person.roles), NO_LOCAL_PASSWORD, person.email, person.dn))

    def deactivate(self, username: str) -> None:
        self.cur.execute("UPDATE staff SET active = false, synced_at = now() WHERE username = %s",
                         (username,))

    # --- syncs ---------------------------------------------------------------------
    def start_sync(self, trigger: str, actor: str | None, dry_run: bool, forced: bool) -> int:
        self.cur.execute("""INSERT INTO directory_syncs (trigger, actor, dry_run, forced)
                            VALUES (%s, %s, %s, %s) RETURNING id""",
                         (trigger, actor, dry_run, forced))
        return self.cur.fetchone()["id"]

    def finish_sync(self, sync_id: int, outcome: str, report: dict,
                    error: str | None = None) -> None:
        self.cur.execute("""UPDATE directory_syncs SET finished_at = now(), outcome = %s,
                                   report = %s, error = %s WHERE id = %s""",
                         (outcome, Json(report), error, sync_id))

    def recent_syncs(self, limit: int) -> list[dict]:
        self.cur.execute("""SELECT id, started_at, finished_at, trigger, actor, dry_run, forced,
                                   outcome, report, error
                            FROM directory_syncs ORDER BY started_at DESC LIMIT %s""", (limit,))
        return self.cur.fetchall()

    def seconds_since_last(self, outcome: str | None) -> float | None:
        """Seconds since the last sync that was not a dry run (with this outcome, if
        given); None when there was none."""
        self.cur.execute("""SELECT extract(epoch FROM now() - max(started_at)) AS age
                            FROM directory_syncs
                            WHERE NOT dry_run AND (%s::text IS NULL OR outcome = %s)""",
                         (outcome, outcome))
        age = self.cur.fetchone()["age"]
        return None if age is None else float(age)

    def try_lock_sync(self) -> bool:
        """One sync at a time across every replica (held to the end of the transaction)."""
        self.cur.execute("SELECT pg_try_advisory_xact_lock(hashtext('directory-sync')) AS got")
        return self.cur.fetchone()["got"]
