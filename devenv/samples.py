"""A sample procedure the tests and benchmarks upload (as Markdown, made a .docx by
procedura_cli/docgen.py), and the media type they upload it as."""

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY = """# Procedură operațională privind înregistrarea petițiilor

## 1. Scop
Procedura stabilește modul de înregistrare și soluționare a petițiilor adresate primăriei.
"""
