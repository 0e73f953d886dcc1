"""deploy/k8s/components/backup rendered offline on top of each overlay: the CronJob and
its ServiceAccount pass the same rules as every workload (requests and limits, strict
securityContext, /tmp, no Secret values, egress only to what it needs) and the
Kubernetes schemas."""
from __future__ import annotations

import os

import pytest
import yaml

from tests.deploy import manifests as m

COMPONENT = m.REPO / "deploy" / "k8s" / "components" / "backup"


def listed_components(overlay: str) -> list[str]:
    kustomization = m.K8S / "overlays" / overlay / "kustomization.yaml"
    return yaml.safe_load(kustomization.read_text()).get("components", [])


@pytest.fixture(scope="module", params=m.OVERLAYS)
def rendered(request, tmp_path_factory) -> tuple[str, list[dict]]:
    assert m.run_script("tools").returncode == 0
    folder = tmp_path_factory.mktemp(f"backup-{request.param}")
    overlay = m.REPO / "deploy" / "k8s" / "overlays" / request.param
    if "../../components/backup" in listed_components(request.param):
        return request.param, m.kustomize_build(overlay)
    # as if the overlay listed the component: its image pins apply to the CronJob too
    images = yaml.safe_load((overlay / "kustomization.yaml").read_text()).get("images", [])
    (folder / "kustomization.yaml").write_text(yaml.safe_dump({
        "images": images,
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": [os.path.relpath(overlay, folder)],
        "components": [os.path.relpath(COMPONENT, folder)]}))
    return request.param, m.kustomize_build(folder)


def test_production_takes_its_nightly_backup():
    assert "../../components/backup" in listed_components("prod")


def test_the_backup_cronjob_follows_the_rules_of_every_workload(rendered):
    overlay, docs = rendered
    cronjob = m.find(docs, "CronJob", "procedura-backup")
    assert m.find(docs, "ServiceAccount", "procedura-backup")
    assert m.workload_problems([cronjob]) == []
    assert m.secret_problems(docs) == []
    assert m.network_problems(docs) == []
    spec = m.pod_template(cronjob)["spec"]
    assert spec["serviceAccountName"] == "procedura-backup"
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    [container] = spec["containers"]
    assert container["command"][3:6] == ["backup", "create", "/backups"]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"]["key"] for e in container["env"]}
    assert refs == {"PROCEDURA_DATABASE_URL": "database-url",
                    "PROCEDURA_MINIO_ACCESS_KEY": "minio-access-key",
                    "PROCEDURA_MINIO_SECRET_KEY": "minio-secret-key"}
    labels = m.pod_template(cronjob)["metadata"]["labels"]
    assert {k for k in labels if k.startswith("egress.")} == {
        "egress.procedura.ro/postgresql", "egress.procedura.ro/minio"}


def test_the_rendered_component_is_valid_against_the_kubernetes_schemas(rendered, tmp_path):
    overlay, docs = rendered
    out = tmp_path / f"{overlay}-backup.yaml"
    out.write_text(yaml.safe_dump_all(docs))
    result = m.run_script("schemas", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
