"""A version's PDF rendition and its pages as images (issue 13, points 3 and 4):
/api/versions/<version_id>/rendition and /pages/<page>.

Both answer exactly as /content does to whoever may not read the version (versions.load:
a confidential document's version is 404 to them); the renditions service says where the
bytes are, and they stream from MinIO through here. The web interface's viewer answers
its own routes with `rendition_response` and `page_response`, for its session's person."""
from __future__ import annotations

from urllib.parse import quote

import requests
from werkzeug.wrappers import Response

from services.contracts.errors import ServiceUnavailable
from services.contracts.models import User
from services.gateway import versions
from services.gateway.auth import current_user
from services.gateway.entrypoints import error_response
from services.gateway.params import parse_query, uuid, whole_number
from services.gateway.requests import PageQuery
from services.gateway.routing import Router

CHUNK = 64 * 1024
# a page image's bytes never change under its ETag (a rebuilt rendition has new ETags)
IMMUTABLE = "private, max-age=31536000, immutable"
# answer headers of MinIO that mean the same here
_PASSED_ON = ("Content-Length", "Content-Range", "ETag", "Last-Modified")

router = Router()


@router.api("GET", "/api/versions/<version_id>/rendition")
def rendition(deps, request, version_id):
    """The version as a PDF, shown in the browser; byte ranges for pdf.js."""
    return rendition_response(deps, request, current_user(deps, request), version_id)


@router.api("GET", "/api/versions/<version_id>/pages/<page>")
def page(deps, request, version_id, page):
    """Page `page` of the rendition as an image: `width` 64-2000 (200), `format`
    png|webp (png)."""
    return page_response(deps, request, current_user(deps, request), version_id, page)


def rendition_response(deps, request, user: User, version_id: str) -> Response:
    version = versions.load(deps, user, uuid(version_id, "version"))
    url = deps.renditions.rendition_location(str(version.id))
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


def page_response(deps, request, user: User, version_id: str, page: str) -> Response:
    version = versions.load(deps, user, uuid(version_id, "version"))
    number = whole_number(page, "page")
    query = parse_query(PageQuery, request.args)
    answer = deps.renditions.page_image(str(version.id), number, query.width, query.format)
    headers = {"ETag": answer["etag"], "Cache-Control": IMMUTABLE,
               "X-Content-Type-Options": "nosniff",
               "X-Rendition-Pages": str(answer["pages"])}
    if request.if_none_match.contains(answer["etag"].strip('"')):
        return Response(status=304, headers=headers)
    upstream = _get(answer["location"], {})
    return _passed_on(upstream, answer["media_type"], headers)


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
