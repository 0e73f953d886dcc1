"""How a setting's value is read when it comes as text from an environment override."""
from __future__ import annotations


def comma_separated(value):
    """A list setting given as one string by an environment override ("a, b") as a tuple;
    None as an empty one; a list as it is."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value
