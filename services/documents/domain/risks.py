"""Risk scoring and who may assess a risk, free of I/O (OSGG 600 Standard 8).

Exposure = probability × impact, each scored 1..5, so exposure runs 1..25. Levels:
1-4 scăzută (low), 5-12 medie (medium), 15-25 ridicată (high); 13 and 14 cannot occur.
The residual exposure (after the control measures) cannot exceed the inherent one.
"""
from __future__ import annotations

from datetime import date, timedelta

from services.contracts.errors import Forbidden, InvalidInput
from services.contracts.models import Role, User
from services.contracts.qms import Assessment, Exposure, NewRisk

LEVELS = ((4, "scăzută"), (12, "medie"), (25, "ridicată"))


def level(exposure: int) -> str:
    for ceiling, name in LEVELS:
        if exposure <= ceiling:
            return name
    raise ValueError(f"exposure {exposure} is outside 1..25")


def score(probability: int, impact: int) -> Exposure:
    for name, value in (("probability", probability), ("impact", impact)):
        if not 1 <= value <= 5:
            raise InvalidInput(f"{name} must be between 1 and 5, not {value}",
                               {"field": name})
    exposure = probability * impact
    return Exposure(probability=probability, impact=impact, exposure=exposure,
                    level=level(exposure))


def scores(assessment: Assessment | NewRisk) -> tuple[Exposure, Exposure]:
    """The inherent and residual exposure of an assessment; 422 when the residual one
    is higher than the inherent (control measures cannot make a risk worse)."""
    inherent = score(assessment.inherent_probability, assessment.inherent_impact)
    residual = score(assessment.residual_probability, assessment.residual_impact)
    if residual.exposure > inherent.exposure:
        raise InvalidInput(
            f"the residual exposure ({residual.exposure}) cannot exceed the inherent "
            f"exposure ({inherent.exposure})",
            {"field": "residual_probability", "inherent": inherent.exposure,
             "residual": residual.exposure})
    return inherent, residual


def may_manage(user: User, department: str) -> bool:
    """The quality office, or the head (verifier) of the risk's department."""
    return user.has(Role.QMS_ADMIN) or (user.has(Role.VERIFIER)
                                        and user.department == department)


def require_manager(user: User, department: str) -> None:
    if not may_manage(user, department):
        raise Forbidden("only the quality office or the head of the risk's department "
                        f"({department}) may change or assess it",
                        {"department": department, "required_role": "qms_admin|verifier"})


def review_due_date(assessed_on: date, notice_days: int) -> date:
    """The linked procedures are to be reviewed within the usual notice period."""
    return assessed_on + timedelta(days=notice_days)


def review_reason(code: str, assessed_on: date, residual: Exposure) -> str:
    return (f"riscul {code} a fost reevaluat la {assessed_on:%d.%m.%Y}: expunere reziduală "
            f"{residual.exposure} ({residual.level})")
