"""Free text as Procedura keeps it: the rule lives in services/contracts/text.py (the
contracts apply it at the boundary); this name stays for the code that imports it here."""
from services.contracts.text import clean_line, clean_text

__all__ = ["clean_line", "clean_text"]
