"""Logging in against the directory: the password is checked by the directory (a bind as
the person), and what it says of them (department, function, roles, e-mail) is taken
into the staff register at every login, a person it had disabled or removed coming back
with their groups of today."""
from __future__ import annotations

import logging

from services.contracts.errors import Forbidden, ServiceUnavailable
from services.contracts.models import User
from services.documents.adapters import audit
from services.documents.adapters.directory import (
    Directory, DirectoryUnavailable, NotAdmitted, WrongCredentials)
from services.documents.adapters.directory_repository import DirectoryRepository
from services.documents.adapters.repository import Repository

log = logging.getLogger(__name__)


def authenticate(cur, directory: Directory, username: str, password: str) -> User | None:
    """The person, refreshed from the directory, when the directory takes this password;
    None for an unknown name, a wrong password or a disabled account. ServiceUnavailable
    (503 naming the directory) when it cannot be reached; Forbidden when the directory
    knows them but Procedura cannot admit them (no group, a department not in the
    register)."""
    try:
        person = directory.authenticate(username, password)
    except WrongCredentials as exc:
        log.info("directory login of %r refused: %s", username[:64], exc.why)
        return None
    except NotAdmitted as exc:
        raise Forbidden(f"{exc}; ask the IT office to add you to a procedura-* group",
                        {"reason": "no_group"}) from None
    except DirectoryUnavailable as exc:
        log.warning("directory login: %s", exc)
        raise ServiceUnavailable(f"{exc}; sessions already open go on working",
                                 {"directory": directory.address}) from None
    people = Repository(cur)
    if not person.department or people.missing_departments([person.department]):
        log.warning("directory login of %s refused: department %r is not in the register",
                    person.username, person.department)
        raise Forbidden(f"the directory gives {person.username} the department "
                        f"{person.department!r}, which is not in Procedura's register of "
                        "departments; the quality office adds it, or the IT office corrects "
                        "the directory", {"reason": "unknown_department",
                                          "department": person.department})
    staff = DirectoryRepository(cur)
    before = staff.staff().get(person.username)
    staff.save(person)
    if before is not None and not before["active"]:
        audit.append(cur, person.username, "reactivated_by_directory",
                     details={"roles": list(person.roles), "department": person.department})
    return people.user(person.username)
