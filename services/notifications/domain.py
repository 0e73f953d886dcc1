"""Who is told what, free of I/O."""
from __future__ import annotations

from services.common.labels import edition_label
from services.contracts.events import RevisionTransitioned

def approved_message(data: RevisionTransitioned) -> str:
    return (f"{data.code} „{data.title}” ({edition_label(data.edition, data.revision)}) "
            f"a fost aprobată și se aplică în compartimentul dumneavoastră.")


def audience_of_approval(data: RevisionTransitioned) -> list[str]:
    """The departments told of an approval: those on the distribution list."""
    return sorted(set(data.distribution))
