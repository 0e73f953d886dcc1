"""A version's PDF rendition and its pages as images (issue 13, points 3 and 4): a mixin
of GatewayService, which provides `self._user` and `self._version`.

Both answer exactly as /content does to whoever may not read the version (`_version`: a
confidential document's version is 404 to them); the renditions service says where the
bytes are, and they stream from MinIO through here."""
from __future__ import annotations

from urllib.parse import quote
from uuid import UUID

import requests
from werkzeug.wrappers import Response

from services.contracts.errors import NotFound, ServiceUnavailable
from services.contracts.models import User
from services.gateway.entrypoints import error_response, http, whole_number
from services.gateway.rpc import TimedRpcProxy

CHUNK = 64 * 1024
DEFAULT_WIDTH = "200"
# a page image's bytes never change under its ETag (a rebuilt rendition has new ETags)
IMMUTABLE = "private, max-age=31536000, immutable"
# answer headers of MinIO that mean the same here
_PASSED_ON = ("Content-Length", "Content-Range", "ETag", "Last-Modified")


class RenditionRoutes:
    renditions = TimedRpcProxy("renditions")

    @http("GET", "/api/versions/<version_id>/rendition")
    def rendition(self, request, version_id):
        """The version as a PDF, shown in the browser; byte ranges for pdf.js."""
        return self._rendition_response(request, self._user(request), version_id)

    @http("GET", "/api/versions/<version_id>/pages/<page>")
    def page(self, request, version_id, page):
        """Page `page` of the rendition as an image: `width` 64-2000 (200), `format`
        png|webp (png)."""
        return self._page_response(request, self._user(request), version_id, page)

    # the web interface answers its own routes with these too, for its session's person
    def _rendition_response(self, request, user: User, version_id: str) -> Response:
        version = self._version(user, _uuid(version_id))
        url = self.renditions.rendition_location(str(version.id))
        asked = {k: request.headers[k] for k in ("Range", "If-None-Match", "If-Range")
                 if request.headers.get(k)}
        upstream = _get(url, asked)
        if upstream.status_code == 416:
            upstream.close()
            return error_response(416, "range_not_satisfiable",
                                  "the byte range asked for is not in the rendition",
                                  {"range": asked.get("Range")})
        name = version.filename.rsplit(".", 1)[0] + ".pdf"
        ascii_name = name.encode("ascii", "replace").decode().replace('"', "_")
        headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, no-cache",
                   "X-Content-Type-Options": "nosniff",
                   "Content-Disposition": f"inline; filename=\"{ascii_name}\"; "
                                          f"filename*=UTF-8''{quote(name)}"}
        return _passed_on(upstream, "application/pdf", headers)

    def _page_response(self, request, user: User, version_id: str, page: str) -> Response:
        version = self._version(user, _uuid(version_id))
        number = whole_number(page, "page")
        width = whole_number(request.args.get("width") or DEFAULT_WIDTH, "width")
        fmt = request.args.get("format") or "png"
        answer = self.renditions.page_image(str(version.id), number, width, fmt)
        headers = {"ETag": answer["etag"], "Cache-Control": IMMUTABLE,
                   "X-Content-Type-Options": "nosniff",
                   "X-Rendition-Pages": str(answer["pages"])}
        if request.if_none_match.contains(answer["etag"].strip('"')):
            return Response(status=304, headers=headers)
        upstream = _get(answer["location"], {})
        return _passed_on(upstream, answer["media_type"], headers)


def _uuid(value: str) -> str:
    try:
        return str(UUID(value))
    except ValueError:
        raise NotFound(f"no version {value}", {"version_id": value}) from None


def _get(url: str, headers: dict) -> requests.Response:
    """The object behind a presigned URL, streaming (503 naming storage when MinIO is
    away: an answer the client can retry, not a 500)."""
    try:
        upstream = requests.get(url, headers=headers, stream=True, timeout=60)
    except requests.ConnectionError as exc:
        raise ServiceUnavailable(f"the object storage is not reachable ({exc.__class__.__name__})",
                                 {"service": "storage"}) from None
    if upstream.status_code not in (200, 206, 304, 416):
        upstream.close()
        raise ServiceUnavailable(f"the object storage answered {upstream.status_code}",
                                 {"service": "storage"})
    return upstream


def _passed_on(upstream: requests.Response, media_type: str, headers: dict) -> Response:
    for name in _PASSED_ON:
        if name in upstream.headers and name not in headers:
            headers[name] = upstream.headers[name]
    if upstream.status_code == 304:
        upstream.close()
        headers.pop("Content-Length", None)
        return Response(status=304, headers=headers)

    def body():
        try:
            yield from upstream.iter_content(CHUNK)
        finally:
            upstream.close()

    return Response(body(), status=upstream.status_code, headers=headers,
                    content_type=media_type, direct_passthrough=True)
