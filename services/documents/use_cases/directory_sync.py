"""The sync: Procedura's staff follow the directory. People added to the directory
appear (so they can be on distribution lists before their first login), changes of
department, function, e-mail or groups apply, and people removed or disabled are
deactivated, every token and session of theirs ending at once; their history stays.

Nothing is deactivated on a directory that could not be reached or answered with nobody,
and a sync that would deactivate more than `max_deactivate_share` of the people (beyond
`deactivate_floor` people) is refused unless forced: a wrong search base or filter must
not lock out the city hall. Only people the directory is the source of are touched; the
organisation file's local accounts (a break-glass administrator) are not."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from services.common.directory_settings import DirectorySettings
from services.contracts.errors import Conflict, ServiceUnavailable
from services.documents.adapters import audit
from services.documents.use_cases import logins
from services.documents.adapters.directory import Directory, DirectoryPerson, DirectoryUnavailable
from services.documents.adapters.directory_repository import DirectoryRepository

log = logging.getLogger(__name__)
ACTOR = "directory"          # who the audit trail names for what the sync did


@dataclass
class Plan:
    """What a sync does (or would do, on a dry run)."""
    people: int = 0
    add: list[DirectoryPerson] = field(default_factory=list)
    change: list[tuple[DirectoryPerson, dict]] = field(default_factory=list)
    deactivate: list[tuple[str, str]] = field(default_factory=list)     # (username, why)
    errors: list[dict] = field(default_factory=list)
    active_before: int = 0

    def report(self) -> dict:
        return {"people": self.people,
                "added": [_summary(p) for p in self.add],
                "changed": [{"username": p.username, "changes": c} for p, c in self.change],
                "deactivated": [{"username": u, "why": why} for u, why in self.deactivate],
                "errors": self.errors}


def plan(current: dict[str, dict], people: list[DirectoryPerson], departments: set[str],
         admitted) -> Plan:
    """Compare the staff Procedura has (`current`, by user name) with the directory's
    `people`; pure, no I/O."""
    result = Plan(people=len(people))
    result.active_before = sum(1 for row in current.values()
                               if row["source"] == "directory" and row["active"])
    seen = set()
    for person in people:
        seen.add(person.username)
        row = current.get(person.username)
        ours = row is not None and row["source"] == "directory"
        if person.disabled or not admitted(person):
            if ours and row["active"]:
                result.deactivate.append((person.username,
                                          "disabled" if person.disabled else "no_group"))
            continue
        if person.department not in departments:
            result.errors.append({"username": person.username, "department": person.department,
                                  "problem": f"department {person.department!r} is not in the "
                                  "register of departments" if person.department else
                                  "has no department in the directory"})
            continue
        if not ours:
            result.add.append(person)
            continue
        changes = _changes(row, person)
        if changes:
            result.change.append((person, changes))
    for username, row in sorted(current.items()):
        if row["source"] == "directory" and row["active"] and username not in seen:
            result.deactivate.append((username, "not_in_directory"))
    return result


def refusal(result: Plan, settings: DirectorySettings) -> str | None:
    """Why this plan must not be applied unforced (None: it may)."""
    if result.people == 0 and result.active_before:
        return ("the directory answered with nobody under the user search base; nobody is "
                "deactivated (check auth.ldap.user_base and people_filter)")
    count, limit = len(result.deactivate), settings.max_deactivate_share * result.active_before
    if count > settings.deactivate_floor and count > limit:
        return (f"the sync would deactivate {count} of {result.active_before} people "
                f"(more than {settings.max_deactivate_share:.0%}); run it with --force if "
                "the directory is right")
    return None


def sync(db, directory: Directory, trigger: str, actor: str | None, dry_run: bool = False,
         force: bool = False) -> dict:
    """Run a sync and record it with its report; `{"id", "outcome", "report", "error"}`.
    ServiceUnavailable (recorded as failed) when the directory cannot be reached;
    Conflict when another sync is running."""
    with db.transaction() as cur:
        sync_id = DirectoryRepository(cur).start_sync(trigger, actor, dry_run, force)
    try:
        people = directory.everyone()
    except DirectoryUnavailable as exc:
        _finish(db, sync_id, "failed", {}, str(exc))
        log.warning("directory sync %s failed: %s", sync_id, exc)
        raise ServiceUnavailable(str(exc), {"directory": directory.address}) from None
    with db.transaction() as cur:
        repo = DirectoryRepository(cur)
        if not repo.try_lock_sync():
            outcome, report, error = "failed", {}, "another sync is running"
        else:
            departments = _departments(cur)
            result = plan(repo.staff(), people, departments, directory.admitted)
            report, error = result.report(), refusal(result, directory.settings)
            outcome = "done"
            if error and not force:
                outcome = "refused"
            elif not dry_run:
                _apply(cur, repo, result)
        repo.finish_sync(sync_id, outcome, report, error)
    if error == "another sync is running":
        raise Conflict(error, {"sync": sync_id})
    for problem in report.get("errors", ()):
        log.warning("directory sync %s: %s: %s", sync_id, problem["username"], problem["problem"])
    return {"id": sync_id, "outcome": outcome, "dry_run": dry_run, "report": report,
            "error": error}


def sync_if_due(db, directory: Directory, retry_seconds: float) -> dict | None:
    """The periodic sync: run one when the last that did its work is older than
    `sync_interval_seconds` (or there was none) and no attempt was made in the last
    `retry_seconds` (a directory that is down is tried again that often, not in a loop).
    None when not due; as `sync` otherwise."""
    interval = directory.settings.sync_interval_seconds
    if not interval:
        return None
    with db.transaction() as cur:
        repo = DirectoryRepository(cur)
        since_done, since_any = repo.seconds_since_last("done"), repo.seconds_since_last(None)
    if (since_done is not None and since_done < interval) or \
            (since_any is not None and since_any < retry_seconds):
        return None
    return sync(db, directory, "timer", None)


def _apply(cur, repo: DirectoryRepository, result: Plan) -> None:
    for person in result.add:
        repo.save(person)
        audit.append(cur, ACTOR, "staff_added_from_directory", details=_summary(person))
    for person, changes in result.change:
        repo.save(person)
        audit.append(cur, ACTOR, "staff_changed_by_directory",
                     details={"username": person.username, "changes": changes})
    for username, why in result.deactivate:
        repo.deactivate(username)
        logins.revoke_everything_of(cur, username, "deactivated")
        audit.append(cur, ACTOR, "staff_deactivated_by_directory",
                     details={"username": username, "why": why})


def _finish(db, sync_id: int, outcome: str, report: dict, error: str | None) -> None:
    with db.transaction() as cur:
        DirectoryRepository(cur).finish_sync(sync_id, outcome, report, error)


def _departments(cur) -> set[str]:
    cur.execute("SELECT code FROM departments")
    return {row["code"] for row in cur.fetchall()}


def _changes(row: dict, person: DirectoryPerson) -> dict:
    now = {"full_name": person.full_name, "department": person.department,
           "function": person.function, "roles": list(person.roles), "email": person.email}
    changes = {name: [row[name], value] for name, value in now.items()
               if (sorted(row[name] or []) if name == "roles" else row[name])
               != (sorted(value) if name == "roles" else value)}
    if not row["active"]:
        changes["active"] = [False, True]
    return changes


def _summary(person: DirectoryPerson) -> dict:
    return {"username": person.username, "department": person.department,
            "roles": list(person.roles)}

