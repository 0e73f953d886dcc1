"""Renditions: a PDF of every version (LibreOffice for office files, OCR for scans) and
page images from it.

The engines (engines/) are plain Python, no nameko: each function runs the real programs
(soffice, tesseract, pdftoppm) as child processes with hard limits
(docs/adr/0006-renditions-and-ocr.md). The `renditions` service (worker.py, wired by
bootstrap.py) runs them for each version; the rooms are in docs/architecture.md.
"""
