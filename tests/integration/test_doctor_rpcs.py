"""What `procedura doctor` asks the services, on the real broker, PostgreSQL and
Elasticsearch: versioning's outbox backlog and search's check of its index. Both are for
the operators only."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import psycopg2
import pytest

from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy
from services.contracts import events
from services.contracts.errors import Forbidden, InvalidInput
from services.documents.service import DocumentsService
from services.search.adapters.index import VersionIndex
from services.search.service import SearchService
from services.versioning.service import VersioningService
from tests.integration.running import running, service_config
from tests.testenv import eventually

YEARS_15 = 15 * 365 * 86400


def _stuck_event(environment) -> tuple[uuid.UUID, psycopg2.extensions.connection]:
    """An event of versioning's outbox recorded 20 years ago and not relayed, which the
    running relay cannot take: the returned connection holds a key-share lock on its row
    (the relay takes rows FOR UPDATE SKIP LOCKED) until it is rolled back."""
    event = events.DocumentRegisteredEvent(subject=uuid.uuid4(), data=events.DocumentRegistered(
        document_id=uuid.uuid4(), code="PO-DR-01", title="Registratura", type="PO",
        owner_department="DJ", distribution=["DJ"], confidential=False,
        registered_by="ana.popescu"))
    writer = psycopg2.connect(environment.database_url)
    with writer, writer.cursor() as cur:      # recorded as relayed, so no relay takes it yet
        cur.execute("""INSERT INTO versioning.outbox (id, type, source, payload, created_at,
                                                      published_at)
                       VALUES (%s, %s, 'versioning', '{}', now() - interval '20 years', now())""",
                    (str(event.id), event.type))
    holder = psycopg2.connect(environment.database_url)
    with holder.cursor() as cur:
        cur.execute("SELECT id FROM versioning.outbox WHERE id = %s FOR KEY SHARE",
                    (str(event.id),))
    with writer, writer.cursor() as cur:      # now pending, and locked against the relay
        cur.execute("UPDATE versioning.outbox SET published_at = NULL WHERE id = %s",
                    (str(event.id),))
    writer.close()
    return event.id, holder


def test_versioning_tells_the_operators_how_many_events_wait_in_its_outbox(environment):
    config = service_config(environment)
    with running(config, VersioningService):
        with ClusterRpcProxy(config, timeout=30) as rpc:
            assert rpc.versioning.outbox_backlog(YEARS_15) == {"count": 0, "oldest": None}
            event_id, holder = _stuck_event(environment)
            try:
                found = rpc.versioning.outbox_backlog(YEARS_15)
                assert found["count"] == 1
                age = datetime.now(timezone.utc) - datetime.fromisoformat(found["oldest"])
                assert 19 < age.days / 365.25 < 21
                assert rpc.versioning.outbox_backlog(25 * 365 * 86400)["count"] == 0
                with pytest.raises(InvalidInput):
                    rpc.versioning.outbox_backlog(-5)
            finally:
                holder.rollback()
                holder.close()
            # the lock gone, the running relay sends it: the backlog empties
            eventually(lambda: rpc.versioning.outbox_backlog(YEARS_15)["count"] == 0,
                       timeout=20)
            conn = psycopg2.connect(environment.database_url)
            with conn, conn.cursor() as cur:
                cur.execute("DELETE FROM versioning.outbox WHERE id = %s", (str(event_id),))
            conn.close()
        with ClusterRpcProxy(service_config(environment) | {
                "AMQP_URI": environment.amqp_uri_of("gateway")}, timeout=30) as rpc:
            with pytest.raises(Forbidden):
                rpc.versioning.outbox_backlog(YEARS_15)


def test_search_reports_an_entry_of_a_version_the_register_does_not_have(environment,
                                                                          settings):
    config = service_config(environment)
    # an index of its own: only this test's entry is in it
    config["procedura"]["search_index"] = f"{settings.search_index}-doctor"
    index = VersionIndex(settings.elasticsearch_url, config["procedura"]["search_index"])
    stray = str(uuid.uuid4())
    try:
        with running(config, DocumentsService, VersioningService, SearchService):
            index.upsert(stray, {"version_id": stray, "document_id": str(uuid.uuid4()),
                                 "code": "PO-XX-99", "title": "Nimeni nu o are"},
                         status="approved", status_seq=4)
            index.es.indices.refresh(index=index.alias)
            with ClusterRpcProxy(config, timeout=60) as rpc:
                report = rpc.search.verify_index()
                assert stray in report["orphan"] and report["clean"] is False
                assert set(report) == {"missing", "stale", "orphan", "clean"}
                index.es.delete(index=index.alias, id=stray, refresh=True)
                assert stray not in rpc.search.verify_index()["orphan"]
            with ClusterRpcProxy(config | {"AMQP_URI": environment.amqp_uri_of("gateway")},
                                 timeout=30) as rpc:
                with pytest.raises(Forbidden):
                    rpc.search.verify_index()
    finally:
        for name in index.es.indices.get(index=f"{index.alias}-*", ignore_unavailable=True):
            index.es.indices.delete(index=name)
