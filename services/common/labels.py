"""How staff read edition and revision numbers: `Ediția I, Revizia 2`."""

_ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def roman(number: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while number >= value:
            out += letters
            number -= value
    return out


def edition_label(edition: int, revision: int) -> str:
    """`Ediția I, Revizia 2`, as on the cover page of a procedure."""
    return f"Ediția {roman(edition)}, Revizia {revision}"


def revision_label(code: str, title: str, edition: int, revision: int) -> str:
    """`PO-DJ-01 „Petiții” (Ediția I, Revizia 2)`: a revision as a message names it."""
    return f"{code} „{title}” ({edition_label(edition, revision)})"
