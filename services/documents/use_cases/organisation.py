"""Loading the organisation file: the departments and the people, whose passwords are
hashed here. A plain function over a unit of work (ports.OrganisationUnitOfWork)."""
from __future__ import annotations

from services.common.settings import AuthSettings
from services.contracts.models import Organisation, User
from services.documents.ports import OrganisationUnitOfWork
from services.documents.use_cases import logins


def load_organisation(uow: OrganisationUnitOfWork, organisation: Organisation,
                      auth: AuthSettings | None = None) -> dict:
    """Create or update departments and staff, in one transaction. A person whose
    password changes, or who is no longer active, loses every session and token. When
    the directory is the source of people (`auth.backend: ldap`), the file gives the
    departments and at most the break-glass account; its other people are left out."""
    directory = auth is not None and auth.backend == "ldap"
    members = [m for m in organisation.users
               if not directory or m.username == auth.break_glass_user]
    with uow:
        for department in organisation.departments:
            uow.staff.save_department(department.code, department.name)
        for member in members:
            user = User.model_validate(member.model_dump(exclude={"password", "active"}))
            stored = uow.staff.any_password_hash(user.username)
            unchanged = stored is not None and (not member.active
                                                or logins.verifies(stored, member.password))
            uow.staff.save_staff(user, stored if unchanged
                                 else logins.hash_password(member.password), member.active)
            if stored is not None and not unchanged:
                logins.end_sessions(uow.sessions, uow.audit, user.username, "password_changed")
            if not member.active:
                logins.end_sessions(uow.sessions, uow.audit, user.username, "deactivated")
    return {"departments": len(organisation.departments), "users": len(members),
            "users_left_to_the_directory": len(organisation.users) - len(members)}
