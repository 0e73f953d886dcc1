"""What the IT team running Procedura relies on: health, readiness, metrics, and a
clear answer when a service is down."""
from __future__ import annotations

import requests


def test_health_readiness_and_metrics(gateway):
    assert requests.get(f"{gateway}/healthz", timeout=5).json() == {"status": "ok"}
    ready = requests.get(f"{gateway}/readyz", timeout=30)
    assert ready.status_code == 200, ready.text
    services = ready.json()["services"]
    assert set(services) == {"documents", "versioning", "search", "notifications"}
    assert services["versioning"]["tika"] == "ok"
    assert services["search"]["elasticsearch"] in ("green", "yellow")
    metrics = requests.get(f"{gateway}/metrics", timeout=5).text
    assert 'procedura_http_requests_total{method="GET",status="200"}' in metrics


def test_a_stopped_service_is_a_503_naming_it_and_readiness_says_so(login, services,
                                                                    gateway):
    client = login("radu.munteanu")
    services.stop("notifications")
    try:
        response = client.request("GET", "/api/feed")
        assert response.status_code == 503
        assert response.json()["error"]["details"] == {"service": "notifications"}
        ready = requests.get(f"{gateway}/readyz", timeout=30)
        assert ready.status_code == 503
        assert "error" in ready.json()["services"]["notifications"]
        assert "error" not in ready.json()["services"]["documents"]
    finally:
        services.up()
    assert client.request("GET", "/api/feed").status_code == 200
