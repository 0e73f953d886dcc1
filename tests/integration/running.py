"""Procedura's real services run in this test process (nameko containers) against the
real broker and database, and the events a test needs, built as the services build them."""
from __future__ import annotations

import copy
import uuid
from contextlib import contextmanager

from nameko.runners import ServiceRunner

from services.contracts import events


def service_config(environment, amqp_uri: str | None = None, max_attempts: int = 3,
                   retry_delay: float = 0.1) -> dict:
    config = copy.deepcopy(environment.config())
    if amqp_uri:
        config["AMQP_URI"] = amqp_uri
    config["procedura"]["delivery"] = {"max_attempts": max_attempts,
                                       "retry_delay_seconds": retry_delay}
    return config


@contextmanager
def running(config: dict, *services):
    runner = ServiceRunner(config)
    for service in services:
        runner.add_service(service)
    runner.start()
    try:
        yield runner
    finally:
        runner.stop()


def version_approved(distribution=("DJ",), code: str | None = None):
    """A `version_approved` as documents publishes it."""
    document_id, version_id = uuid.uuid4(), uuid.uuid4()
    return events.VersionApprovedEvent(subject=document_id, data=events.RevisionTransitioned(
        document_id=document_id, code=code or f"PO-EV-{uuid.uuid4().hex[:6]}",
        title="Gestionarea evenimentelor", type="PO", owner_department="DJ",
        distribution=list(distribution), confidential=False, version_id=version_id,
        edition=1, revision=0, status="approved", previous_status="in_approval",
        status_seq=4, actor="daniel.balan", actor_function="Primar", comment="Aprob",
        author="ana.popescu", registry_number="1/2026", effective_date=None))
