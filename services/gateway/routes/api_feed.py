"""A person's feed: the page of items, the live stream (server-sent events), and marking
items read (/api/feed...)."""
from __future__ import annotations

from werkzeug.wrappers import Response

from services.gateway.auth import current_user, user_or_session
from services.gateway.entrypoints import json_response
from services.gateway.live import stream as live_stream
from services.gateway.params import parse_query, whole_number
from services.gateway.resume import MAX_IDS, ResumePoint
from services.gateway.requests import FeedQuery
from services.gateway.routing import Router

router = Router()


@router.api("GET", "/api/feed")
def feed(deps, request):
    user = current_user(deps, request)
    query = parse_query(FeedQuery, request.args)
    return json_response(deps.notifications.feed(user.username, query.kind, query.limit,
                                                 query.before))


@router.api("GET", "/api/feed/stream")
def feed_stream(deps, request):
    """Server-sent events: new feed items as they happen; `Last-Event-ID` (or
    `?last_event_id=`, the header preferred) resumes: the token of the last event
    received (the first frame, before any event, carries where the stream starts), or a
    feed item id (services/gateway/resume.py). The web interface's session cookie is
    taken too (EventSource sends no header)."""
    user = user_or_session(deps, request)
    field = "Last-Event-ID" if request.headers.get("Last-Event-ID") else "last_event_id"
    given = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    resumed = ResumePoint.parse(given, field) if given else None
    # eventlet's server holds writes back until 4 KB are ready: send each event now
    request.environ["eventlet.minimum_write_chunk_size"] = 0
    notifications, username = deps.notifications, user.username

    def read_feed(after: int) -> list[dict]:
        return notifications.feed_since(username, after)

    # listen before catching up, so nothing falls between the two
    queue = deps.live.open(username)
    try:
        if resumed is not None:
            missed = read_feed(resumed.floor)
        else:
            # from now on: the items in the feed now are not owed, any other is, though
            # numbered below the newest (it may still commit); the first frame says so
            newest = notifications.feed(username, None, MAX_IDS, None)["items"]
            missed = []
            resumed = ResumePoint.of_page([i["id"] for i in newest],
                                          whole_feed=len(newest) < MAX_IDS)
    except Exception:   # no stream after all: do not leave its queue behind
        deps.live.close(username, queue)
        raise
    return Response(live_stream(deps.live, username, queue, missed, resumed, read_feed),
                    mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
                    direct_passthrough=True)


@router.api("POST", "/api/feed/read-all")
def mark_all_read(deps, request):
    user = current_user(deps, request)
    return json_response({"marked": deps.notifications.mark_all_read(user.username)})


@router.api("POST", "/api/feed/<item_id>/read")
def mark_read(deps, request, item_id):
    user = current_user(deps, request)
    return json_response(deps.notifications.mark_read(user.username,
                                                      whole_number(item_id, "item_id")))
