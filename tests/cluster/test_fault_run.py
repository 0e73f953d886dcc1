"""The cluster fault run (issue 19, `make cluster-test`): Procedura's services, two
processes of each and two gateways behind HAProxy (scripts/cluster/services.sh with the
run's environment, devenv/cluster_processes.py), on the clusters that are up
(devenv/cluster.py), under a mixed load through the HAProxy URL
(tests/cluster/load.py) while one part at a time is killed with -9, left down, started
again and waited for (tests/cluster/faults.py). Afterwards the checks of
tests/cluster/checks.py, the fault table and the requests' table printed as Markdown;
every request is kept in <run dir>/requests.jsonl, and each 5xx outside a fault's window
is printed with its route, time, gateway and the log lines about it.

    PROCEDURA_FAULT_RUN_SECONDS=600    how long the load runs (the faults spread over it)
    PROCEDURA_FAULT_RUN_DOWN_SECONDS=15  how long a killed part stays down
    PROCEDURA_FAULT_RUN_FAULTS=...     only these kinds, comma-separated (e.g.
                                       "search process,gateway"); the others: not run

    scripts/cluster.sh up all
    PROCEDURA_FAULT_RUN_SECONDS=600 .venv/bin/python -m pytest -m cluster -s \\
        tests/cluster/test_fault_run.py
"""
from __future__ import annotations

import os
import time

import pytest

from procedura_cli.demo import organisation
from services.common import broker_users
from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy
from devenv.cluster import Engines, FaultRunEnvironment
from devenv.cluster_processes import Processes
from tests.cluster import checks
from tests.cluster.faults import faults, inflict
from tests.cluster.load import Load, Subscriber

DURATION = float(os.environ.get("PROCEDURA_FAULT_RUN_SECONDS", "600"))
DOWN_FOR = float(os.environ.get("PROCEDURA_FAULT_RUN_DOWN_SECONDS", "15"))
ONLY = {k.strip() for k in os.environ.get("PROCEDURA_FAULT_RUN_FAULTS", "").split(",")
        if k.strip()}
WARM_UP = min(30.0, DURATION / 10)


@pytest.fixture
def procedura(stack, run_id):
    """The run's environment on the engines found, its processes up, the demo
    organisation loaded, a plain subscriber listening before the first event."""
    engines = Engines.found()
    environment = FaultRunEnvironment(f"{run_id}fr", engines)
    environment.create()
    processes = Processes(environment)
    subscriber = None
    try:
        processes.up()
        subscriber = Subscriber(environment.amqp_uri_of(broker_users.SUBSCRIBER),
                                environment.amqp_uri,
                                environment.env["PROCEDURA_QUEUE_TYPE"], processes.run_dir)
        subscriber.start()
        org = organisation()
        with ClusterRpcProxy(environment.config(), timeout=60) as rpc:
            rpc.documents.load_organisation(org)
        yield environment, engines, processes, subscriber, org
    finally:
        if subscriber:
            subscriber.stop()
            subscriber.delete()     # or doctor finds its queue without a consumer
        processes.down()
        environment.destroy()


def until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


@pytest.mark.cluster
@pytest.mark.timeout(DURATION + 3600)
def test_nothing_lost_or_doubled_through_one_fault_after_another(procedura):
    environment, engines, processes, subscriber, org = procedura
    load: Load | None = None
    kinds = faults(engines, environment, processes,
                   stream_gateway=lambda: load.stream_gateway() if load else "")
    for fault in kinds:
        if ONLY and fault.kind not in ONLY and fault.make:
            fault.make, fault.not_run = None, "not asked (PROCEDURA_FAULT_RUN_FAULTS)"
    planned = [f for f in kinds if f.make]
    print(f"\nfault run {environment.run_id}: {engines.describe()}; two processes of each "
          f"service, gateways behind HAProxy at {processes.url}; load {DURATION:.0f} s; "
          f"faults {[f.kind for f in planned]}")

    load = Load(processes.url, {u["username"]: u["password"] for u in org["users"]})
    load.start()
    began = time.monotonic()
    slot = (DURATION - WARM_UP) / max(1, len(planned))
    whole = began
    for n, fault in enumerate(planned):
        # after each part is whole again, a stretch of load with nothing down: a failure
        # there is no failover's (faults one after another without it hid a gateway that
        # kept failing one call in ten after its RabbitMQ node came back)
        until(max(began + WARM_UP + n * slot, whole + checks.GRACE + checks.QUIET))
        inflict(fault, DOWN_FOR)
        whole = fault.healthy_at or time.monotonic()
        print(f"  {fault.kind}: {fault.part.name} killed -9 at +{fault.killed_at - began:.0f} s, "
              f"whole again after {fault.recovery:.0f} s {fault.notes}", flush=True)
    until(max(began + DURATION, whole + checks.GRACE + checks.TAIL))
    load.stop()
    load.record.save(processes.run_dir / "requests.jsonl", began)
    # the measurements first: they stand whatever the checks find
    print(f"\n### Fault run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{time.monotonic() - began:.0f} s of load, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}\n\n{engines.describe()}\n"
          f"(every request: {processes.run_dir / 'requests.jsonl'})\n")
    print(checks.fault_table(load.record.requests, kinds, began))
    print()
    print(checks.request_summary(load.record.requests), flush=True)
    found = checks.judged("the services caught up (extraction, renditions, outboxes)",
                          lambda: checks.settle(environment, subscriber) or [])
    for what, check in (
            ("uploads", lambda: checks.uploads_stored_and_searchable(environment, load)),
            ("approvals", lambda: checks.approvals_reached_everyone_once(environment, load,
                                                                         org)),
            ("stream", lambda: checks.stream_got_each_item_once(environment, load)),
            ("events", lambda: checks.events_once_for_the_subscriber(environment,
                                                                     subscriber))):
        found += checks.judged(what, check)
    subscriber.stop()
    subscriber.delete()    # or doctor finds its queue without a consumer
    found += checks.judged("audit, doctor", lambda: checks.audit_and_doctor(environment))
    found.append(checks.server_errors(load.record.requests, kinds, began,
                                      {**processes.gateway_logs(),
                                       "haproxy": processes.haproxy_log()}))
    if load.record.problems:
        found.append(checks.Check("the answers are what was sent", False,
                                  "; ".join(load.record.problems[:5])))
    print()
    for check in found:
        print(f"- {'ok' if check.ok else 'FAILED'}: {check.what} ({check.detail})")
    assert all(check.ok for check in found), [c.what for c in found if not c.ok]
