"""Apache Tika, through the `tika` package in client-only mode: the extraction worker's
text extraction (nothing in the upload path calls Tika: services/versioning/domain/media_types.py).

The package would otherwise download and start its own Tika jar; Procedura
always talks to the Tika server its stack runs (settings.tika_url).
"""
from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import dataclass

import requests
from eventlet.semaphore import Semaphore
import tika.tika as tika_client

tika_client.TikaClientOnly = True


class TikaUnavailable(ConnectionError):
    """Tika did not answer: try again later, the file is not at fault."""


class TikaDropped(TikaUnavailable):
    """Tika took the file, then died or dropped the connection before answering.

    Either Tika was stopped, or this very file crashed it: the worker counts such
    deliveries per version and fails the file after `extraction.max_attempts`.
    """


class ExtractionFailed(Exception):
    """Tika answered that this file cannot be read (corrupt, encrypted, ...)."""


@dataclass(frozen=True)
class Extracted:
    text: str
    truncated: bool


class Tika:
    def __init__(self, url: str, timeout: float, max_characters: int,
                 concurrency: int | None = None):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.max_characters = max_characters
        # at most `concurrency` extractions of this process talk to Tika at once
        self._slots = Semaphore(concurrency) if concurrency else None

    def _call(self, verb: str, path: str, data, headers: dict, timeout: float | None = None):
        try:
            return tika_client.callServer(
                verb, self.url, path, data, headers, False,
                requestOptions={"timeout": timeout or self.timeout})
        except requests.RequestException as exc:
            raise TikaUnavailable(f"Tika at {self.url} did not answer: {exc}") from exc

    def ping(self) -> str:
        """For health checks: Tika answers."""
        status, _ = self._call("get", "/tika", None, {"Accept": "text/plain"}, 5)
        if status != 200:
            raise TikaUnavailable(f"Tika answered {status}")
        return "ok"

    def parsed_types(self) -> set[str]:
        """The media types Tika's parsers declare (for scripts/tika-types.py and its
        test: uploads never ask, services/versioning/domain/media_types.py)."""
        status, body = self._call("get", "/parsers/details", None,
                                  {"Accept": "application/json"}, 60)
        if status != 200:
            raise TikaUnavailable(f"Tika parsers answered {status}")
        types: set[str] = set()

        def walk(node: dict) -> None:
            types.update(t.split(";")[0].strip().lower() for t in node.get("supportedTypes", []))
            for child in node.get("children", []):
                walk(child)

        walk(json.loads(body))
        # Tika's fallback for unknown bytes is not a format it can read
        types.discard("application/octet-stream")
        return types

    def extract(self, stream, filename: str, media_type: str) -> Extracted:
        """Send the file's bytes as a stream and return its text (at most max_characters).

        ExtractionFailed: the file's fault (unreadable, or Tika took longer than the
        timeout); TikaDropped: Tika died mid-file; TikaUnavailable: Tika is not there.
        """
        with self._slots or nullcontext():
            status, body = self._extract_call(stream, filename, media_type)
        if status == 503:
            raise TikaDropped("Tika answered 503 (its parser process was restarting)")
        if status != 200:
            raise ExtractionFailed(_reason(status, body))
        documents = json.loads(body)
        container = documents[0] if documents else {}
        if "X-TIKA:EXCEPTION:container_exception" in container:
            raise ExtractionFailed(_first_line(container["X-TIKA:EXCEPTION:container_exception"]))
        text = "".join(d.get("X-TIKA:content", "") or "" for d in documents)
        truncated = (len(text) > self.max_characters
                     or str(container.get("X-TIKA:EXCEPTION:write_limit_reached", "")) == "true")
        return Extracted(text=text[: self.max_characters].strip(), truncated=truncated)


    def _extract_call(self, stream, filename: str, media_type: str):
        headers = {"Accept": "application/json", "Content-Type": media_type,
                   "Content-Disposition": f'attachment; filename="{_ascii(filename)}"',
                   "writeLimit": str(self.max_characters),
                   # no OCR inside text extraction: with Tesseract on the machine Tika
                   # would read every image and scanned page here, holding text documents
                   # behind scans; the rendition worker OCRs them after extraction
                   # (docs/adr/0006-renditions-and-ocr.md)
                   "X-Tika-OCRskipOcr": "true"}
        try:
            return tika_client.callServer("put", self.url, "/rmeta/text", stream, headers,
                                          False, requestOptions={
                                              # (connect, read): the read timeout bounds
                                              # the parse, Tika answers only at the end
                                              "timeout": (10.0,
                                                          self.timeout)})
        except requests.ReadTimeout:
            raise ExtractionFailed(f"Tika did not finish reading the file within "
                                   f"{self.timeout:g} s") from None
        except requests.ConnectionError as exc:
            if _refused(exc):
                raise TikaUnavailable(f"Tika at {self.url} did not answer: {exc}") from exc
            raise TikaDropped(f"Tika dropped the connection while reading the file: "
                              f"{_first_line(str(exc))}") from exc
        except requests.RequestException as exc:
            raise TikaUnavailable(f"Tika at {self.url} did not answer: {exc}") from exc


def _refused(exc: Exception) -> bool:
    """The connection was never made (Tika down), as opposed to dropped mid-request."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    text = repr(exc)
    return any(s in text for s in ("Connection refused", "NewConnectionError",
                                   "Failed to establish", "Name or service not known"))


def _ascii(filename: str) -> str:
    return filename.encode("ascii", "replace").decode().replace('"', "_")


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0][:500] if (text or "").strip() else "unknown"


def _reason(status: int, body: str) -> str:
    known = {422: "Tika could not parse the file (corrupt or encrypted)",
             415: "Tika cannot read this media type",
             500: "Tika failed while parsing the file"}
    detail = _first_line(body)
    return f"{known.get(status, f'Tika answered {status}')}: {detail}"
