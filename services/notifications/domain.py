"""Who is told what, free of I/O."""
from __future__ import annotations

from services.contracts.events import RevisionTransitioned

ROMAN = [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def roman(number: int) -> str:
    out = ""
    for value, letters in ROMAN:
        while number >= value:
            out += letters
            number -= value
    return out


def edition_label(edition: int, revision: int) -> str:
    """`Ediția I, Revizia 2`, as staff read it on the cover page."""
    return f"Ediția {roman(edition)}, Revizia {revision}"


def approved_message(data: RevisionTransitioned) -> str:
    return (f"{data.code} „{data.title}” ({edition_label(data.edition, data.revision)}) "
            f"a fost aprobată și se aplică în compartimentul dumneavoastră.")


def audience_of_approval(data: RevisionTransitioned) -> list[str]:
    """The departments told of an approval: those on the distribution list."""
    return sorted(set(data.distribution))
