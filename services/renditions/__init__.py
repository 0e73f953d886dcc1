"""Renditions: a PDF of every version (LibreOffice for office files, OCR for scans) and
page images from it.

Plain Python, no nameko: each function runs the real programs (soffice, tesseract,
pdftoppm) as child processes with hard limits, so the caller can be its own
worker process or a service (docs/adr/0006-renditions-and-ocr.md).
"""
