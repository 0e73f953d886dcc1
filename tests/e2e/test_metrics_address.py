"""/metrics where staff do not reach it (issue 12, finding 10): with
PROCEDURA_METRICS_ADDRESS, as in Kubernetes, the gateway serves it on that address only,
never on the address the Service and the Ingress publish."""
from __future__ import annotations

import subprocess

import requests

from tests.testenv import ROOT, eventually, free_port


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_metrics_on_their_own_address_and_not_on_the_gateways(services, environment):
    web, metrics = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    env = {**environment.environ("gateway"), "PROCEDURA_GATEWAY_ADDRESS": web,
           "PROCEDURA_METRICS_ADDRESS": metrics}
    log = open(services.run_dir / "gateway-metrics-address.log", "w")
    gateway = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "nameko"), "run", "--config",
         str(ROOT / "config" / "procedura.yaml"), "services.gateway.service:GatewayService"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        eventually(lambda: _answers(f"http://{web}/healthz"), timeout=60)
        assert requests.get(f"http://{web}/metrics", timeout=5).status_code == 404
        answer = requests.get(f"http://{metrics}/metrics", timeout=5)
        assert answer.status_code == 200
        assert 'procedura_http_requests_total{method="GET",status="200"}' in answer.text
        assert requests.get(f"http://{metrics}/healthz", timeout=5).status_code == 404
        assert requests.get(f"http://{metrics}/api/documents", timeout=5).status_code == 404
    finally:
        gateway.terminate()
        try:
            gateway.wait(timeout=15)
        except subprocess.TimeoutExpired:
            gateway.kill()
        log.close()
