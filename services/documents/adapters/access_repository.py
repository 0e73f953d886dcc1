"""SQL of logging in: sessions (API tokens and web sessions) and failed logins."""
from __future__ import annotations

from psycopg2 import sql

from services.contracts.models import User


class AccessRepository:
    """Domain verbs over one transaction's cursor."""

    def __init__(self, cur):
        self.cur = cur

    # --- failed logins ----------------------------------------------------------------
    def lock_attempts_of(self, username: str) -> None:
        """Serialise the attempts on one user name, so parallel guesses cannot all pass
        the count before any of them is recorded."""
        self.cur.execute("SELECT pg_advisory_xact_lock(hashtext('login:' || %s))", (username,))

    def seconds_until_below(self, column: str, value: str, limit: int,
                            window_seconds: int) -> float:
        """0 when fewer than `limit` failures of this user name or address lie within the
        window; else the seconds until the oldest of the last `limit` leaves it."""
        assert column in ("username", "address")
        query = sql.SQL("""SELECT extract(epoch FROM at + make_interval(secs => %s) - now())
                           AS wait FROM login_failures
                           WHERE {} = %s AND at > now() - make_interval(secs => %s)
                           ORDER BY at DESC OFFSET %s LIMIT 1""").format(sql.Identifier(column))
        self.cur.execute(query, (window_seconds, value, window_seconds, limit - 1))
        row = self.cur.fetchone()
        return max(0.0, float(row["wait"])) if row else 0.0

    def failures_within(self, column: str, value: str, window_seconds: int) -> int:
        assert column in ("username", "address")
        self.cur.execute(sql.SQL("""SELECT count(*) AS n FROM login_failures
                                    WHERE {} = %s AND at > now() - make_interval(secs => %s)""")
                         .format(sql.Identifier(column)), (value, window_seconds))
        return self.cur.fetchone()["n"]

    def record_failure(self, username: str, address: str) -> None:
        self.cur.execute("INSERT INTO login_failures (username, address) VALUES (%s, %s)",
                         (username, address))

    def forget_failures(self, username: str, older_than_seconds: int) -> None:
        """A right password clears the user name's failures; old ones of anyone go."""
        self.cur.execute("""DELETE FROM login_failures
                            WHERE username = %s OR at < now() - make_interval(secs => %s)""",
                         (username, older_than_seconds))

    # --- sessions -----------------------------------------------------------------------
    def open_session(self, session_id: str, username: str, kind: str,
                     ttl_seconds: int) -> None:
        self.cur.execute("""INSERT INTO sessions (id, username, kind, expires_at)
                            VALUES (%s, %s, %s, now() + make_interval(secs => %s))""",
                         (session_id, username, kind, ttl_seconds))
        # sessions ended a day ago are of no further use
        self.cur.execute("DELETE FROM sessions WHERE expires_at < now() - interval '1 day'")

    def live_session_user(self, session_id: str) -> User | None:
        """The active person of a session neither revoked nor expired."""
        self.cur.execute("""SELECT u.username, u.full_name, u.department, u.function, u.roles
                            FROM sessions s JOIN staff u ON u.username = s.username
                            WHERE s.id = %s AND s.revoked_at IS NULL
                              AND s.expires_at > now() AND u.active""", (session_id,))
        row = self.cur.fetchone()
        return User.model_validate(row) if row else None

    def revoke(self, session_id: str, why: str) -> str | None:
        """The username of the session revoked now (None if unknown or already ended)."""
        self.cur.execute("""UPDATE sessions SET revoked_at = now(), revoked_why = %s
                            WHERE id = %s AND revoked_at IS NULL RETURNING username""",
                         (why, session_id))
        row = self.cur.fetchone()
        return row["username"] if row else None

    def revoke_all_of(self, username: str, why: str) -> int:
        self.cur.execute("""UPDATE sessions SET revoked_at = now(), revoked_why = %s
                            WHERE username = %s AND revoked_at IS NULL
                              AND expires_at > now()""", (why, username))
        return self.cur.rowcount

    def revoked_live(self, revoked_before_seconds: float, limit: int) -> list[dict]:
        """Sessions revoked more than this many seconds ago that have not expired yet:
        no gateway may accept them any more (`procedura doctor`)."""
        self.cur.execute("""SELECT id, username, kind, revoked_at, revoked_why FROM sessions
                            WHERE revoked_at IS NOT NULL AND expires_at > now()
                              AND revoked_at < now() - make_interval(secs => %s)
                            ORDER BY revoked_at DESC LIMIT %s""",
                         (revoked_before_seconds, limit))
        return self.cur.fetchall()
