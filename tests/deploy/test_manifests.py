"""deploy/k8s rendered offline: every overlay builds, every object is schema-valid, and the
rules of issue 7 hold (probes, requests and limits, securityContext, pinned images, no
Secret values, NetworkPolicies). No cluster and no server: kustomize and
kubernetes-validate only, installed by scripts/k8s-validate.sh when missing."""
from __future__ import annotations

import copy
import shutil

import pytest
import yaml

from tests.deploy import manifests as m


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> dict[str, list[dict]]:
    return m.render_all(tmp_path_factory.mktemp("k8s"))


@pytest.fixture(scope="session")
def dev(rendered):
    return rendered["dev"]


@pytest.fixture(scope="session")
def prod(rendered):
    return rendered["prod"]


# ---- every overlay renders and validates ---------------------------------------------------
@pytest.mark.parametrize("overlay", m.OVERLAYS)
def test_overlay_renders(rendered, overlay):
    docs = rendered[overlay]
    kinds = {d["kind"] for d in docs}
    assert {"Namespace", "Deployment", "ConfigMap", "NetworkPolicy", "ServiceAccount",
            "Job"} <= kinds
    names = {d["metadata"]["name"] for d in docs if d["kind"] == "Deployment"}
    assert set(m.SERVICES) <= names
    namespace = find_namespace(docs)
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == namespace["metadata"]["name"], m.name_of(doc)


def find_namespace(docs):
    namespaces = [d for d in docs if d["kind"] == "Namespace"]
    assert len(namespaces) == 1
    return namespaces[0]


def test_every_object_is_valid_against_the_kubernetes_schemas(tmp_path):
    out = tmp_path / "rendered"
    assert m.run_script("render", str(out)).returncode == 0
    result = m.run_script("schemas", *(str(out / f"{o}.yaml") for o in m.OVERLAYS))
    assert result.returncode == 0, result.stdout + result.stderr
    for overlay in m.OVERLAYS:
        for version in ("1.30", "1.37"):
            assert f"{overlay}.yaml: " in result.stdout and f"Kubernetes {version}" in result.stdout


def test_schema_validation_fails_on_an_unknown_field_and_an_unknown_kind(prod, tmp_path):
    docs = copy.deepcopy(prod)
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    (tmp_path / "typo.yaml").write_text(yaml.safe_dump_all(docs))
    result = m.run_script("schemas", str(tmp_path / "typo.yaml"))
    assert result.returncode == 1
    assert "'livenessProbes' was unexpected" in result.stdout
    (tmp_path / "crd.yaml").write_text(yaml.safe_dump(
        {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "x"}}))
    result = m.run_script("schemas", str(tmp_path / "crd.yaml"))
    assert result.returncode == 1 and "Couldn't find schema" in result.stdout


# ---- the rules hold for every workload of every overlay --------------------------------------
@pytest.mark.parametrize("overlay", m.OVERLAYS)
def test_workloads_have_probes_resources_and_a_strict_security_context(rendered, overlay):
    assert m.workload_problems(rendered[overlay]) == []


@pytest.mark.parametrize("overlay", m.OVERLAYS)
def test_no_secret_values_in_the_manifests(rendered, overlay):
    assert m.secret_problems(rendered[overlay]) == []
    assert not [d for d in rendered[overlay] if d["kind"] == "Secret"]


@pytest.mark.parametrize("overlay", m.OVERLAYS)
def test_network_policies(rendered, overlay):
    assert m.network_problems(rendered[overlay]) == []


def test_no_secret_object_anywhere_in_the_tree():
    for path in m.K8S.rglob("*.yaml"):
        for doc in m.load(path):
            assert doc.get("kind") != "Secret" or not (doc.get("data") or doc.get("stringData")), path
            assert not (doc.get("secretGenerator")), f"{path}: secretGenerator puts values in the repo"


# ---- the checks catch what the acceptance criteria name -------------------------------------
def _containers(docs):
    for doc in m.workloads(docs):
        spec = m.pod_template(doc)["spec"]
        for i, c in enumerate(spec["containers"]):
            yield doc, ("containers", i), c


REMOVALS = [
    ("startupProbe",), ("readinessProbe",), ("livenessProbe",),
    ("resources", "limits"), ("resources", "requests"), ("resources", "limits", "memory"),
    ("resources", "requests", "cpu"),
    ("securityContext",), ("securityContext", "readOnlyRootFilesystem"),
    ("securityContext", "allowPrivilegeEscalation"), ("securityContext", "capabilities"),
]


@pytest.mark.parametrize("overlay", m.OVERLAYS)
@pytest.mark.parametrize("path", REMOVALS, ids=".".join)
def test_removing_a_probe_a_limit_or_the_security_context_from_any_workload_fails(
        rendered, overlay, path):
    base = rendered[overlay]
    checked = 0
    for index, (doc, _, container) in enumerate(_containers(base)):
        if path[0].endswith("Probe") and doc["kind"] not in m.LONG_RUNNING:
            continue  # a Job runs to completion: probes are for long-running pods
        docs = copy.deepcopy(base)
        target = list(_containers(docs))[index][2]
        parent = target
        for key in path[:-1]:
            parent = parent[key]
        del parent[path[-1]]
        problems = m.workload_problems(docs)
        assert any(f"{m.name_of(doc)} container {container['name']}" in p for p in problems), \
            (m.name_of(doc), path)
        checked += 1
    assert checked >= 7


def test_pod_level_security_context_cannot_stand_in_for_the_container_one(prod):
    docs = copy.deepcopy(prod)
    spec = m.pod_template(m.find(docs, "Deployment", "documents"))["spec"]
    del spec["securityContext"]["seccompProfile"]
    del spec["containers"][0]["securityContext"]["seccompProfile"]
    spec["containers"][0]["securityContext"]["runAsNonRoot"] = False
    problems = m.workload_problems(docs)
    assert any("seccompProfile" in p for p in problems)
    assert any("runAsNonRoot" in p for p in problems)


@pytest.mark.parametrize("image,ok", [
    ("registry.example.ro/procedura/procedura:0.1.0", True),
    ("registry:5000/procedura@sha256:" + "0" * 64, False),
    ("registry:5000/procedura:1.2@sha256:" + "0" * 64, True),
    ("registry:5000/procedura", False), ("procedura:latest", False), ("procedura", False),
])
def test_image_rule(image, ok):
    assert (m.image_problem(image) is None) is ok


def test_a_secret_with_a_value_or_a_literal_password_fails(prod):
    docs = copy.deepcopy(prod)
    docs.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "oops"},
                 "stringData": {"auth-secret": "x"}})
    container = m.pod_template(m.find(docs, "Deployment", "gateway"))["spec"]["containers"][0]
    container["env"].append({"name": "PROCEDURA_AUTH_SECRET", "value": "hunter2hunter2hunter2"})
    problems = m.secret_problems(docs)
    assert any("Secret/oops" in p for p in problems)
    assert any("PROCEDURA_AUTH_SECRET not from a Secret" in p for p in problems)


def test_network_checks_catch_a_second_door_and_a_wider_egress(dev):
    docs = copy.deepcopy(dev)
    docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": {"name": "search-from-anywhere"},
                 "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "search"}},
                          "policyTypes": ["Ingress"], "ingress": [{"ports": [{"port": 8000}]}]}})
    pod = m.pod_template(m.find(docs, "Deployment", "notifications"))
    pod["metadata"]["labels"]["egress.procedura.ro/minio"] = "true"
    problems = m.network_problems(docs)
    assert any(p.startswith("search: accepts traffic from outside") for p in problems)
    assert any(p.startswith("notifications: egress reaches") for p in problems)
    without_deny = [d for d in dev if d["metadata"]["name"] != "default-deny"]
    assert "no default-deny" in " ".join(m.network_problems(without_deny))


def test_a_change_to_the_files_themselves_fails_the_checks(tmp_path):
    """End to end on a copy of deploy/k8s: drop the liveness probe and the limits of
    base/documents.yaml, render prod with the pinned kustomize, and the checks fail."""
    assert m.run_script("tools").returncode == 0
    tree = tmp_path / "k8s"
    shutil.copytree(m.K8S, tree)
    path = tree / "base" / "documents.yaml"
    docs = m.load(path)
    container = next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]
    del container["livenessProbe"]
    del container["resources"]["limits"]
    path.write_text(yaml.safe_dump_all(docs))
    problems = m.workload_problems(m.kustomize_build(tree / "overlays" / "prod"))
    assert "Deployment/documents container documents: no livenessProbe" in problems
    assert "Deployment/documents container documents: no limits.cpu" in problems


# ---- what each workload runs -----------------------------------------------------------------
@pytest.mark.parametrize("overlay", m.OVERLAYS)
def test_services_run_their_target_and_probe_their_health_rpc(rendered, overlay):
    docs = rendered[overlay]
    for name, target in m.SERVICES.items():
        container = m.pod_template(m.find(docs, "Deployment", name))["spec"]["containers"][0]
        assert container["command"] == ["procedura-service", "--config",
                                        "/app/config/procedura.yaml", target]
        for probe in m.PROBES:
            if name == "gateway":
                assert container[probe]["httpGet"]["path"] in ("/healthz", "/readyz")
            else:
                command = container[probe]["exec"]["command"]
                assert command[:5] == ["procedura", "--config", "/app/config/procedura.yaml",
                                       "health", name], command
                # this pod's own beacon, not whichever replica answers the RPC queue
                assert "--local" in command, command
                # the command's own deadline ends before the kubelet gives up on it
                assert float(command[command.index("--timeout") + 1]) < container[probe]["timeoutSeconds"]
    gateway = m.pod_template(m.find(docs, "Deployment", "gateway"))["spec"]["containers"][0]
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/healthz"
    job = m.pod_template(m.find(docs, "Job", "procedura-migrate"))["spec"]["containers"][0]
    assert job["command"] == ["procedura", "--config", "/app/config/procedura.yaml", "migrate"]


@pytest.mark.parametrize("overlay", m.OVERLAYS)
def test_grace_periods_let_in_flight_work_finish(rendered, overlay):
    docs = rendered[overlay]
    settings = next(d for d in docs if d["kind"] == "ConfigMap"
                    and d["metadata"]["name"].startswith("procedura-settings"))["data"]
    rpc, tika = float(settings["PROCEDURA_RPC_TIMEOUT"]), float(settings["PROCEDURA_TIKA_TIMEOUT"])
    for name in m.SERVICES:
        grace = m.pod_template(m.find(docs, "Deployment", name))["spec"]["terminationGracePeriodSeconds"]
        assert grace > (tika if name == "extraction" else rpc), name


@pytest.mark.parametrize("overlay", m.OVERLAYS)
def test_settings_are_the_ones_config_procedura_yaml_reads(rendered, overlay):
    docs = rendered[overlay]
    known = m.settings_variables()
    configmap = next(d for d in docs if d["kind"] == "ConfigMap"
                     and d["metadata"]["name"].startswith("procedura-settings"))
    assert set(configmap["data"]) <= known, set(configmap["data"]) - known
    assert configmap["data"]["PROCEDURA_GATEWAY_ADDRESS"] == "0.0.0.0:8080"
    secret_vars = set()
    for name in m.SERVICES:
        pod = m.pod_template(m.find(docs, "Deployment", name))["spec"]
        for env in pod["containers"][0].get("env") or []:
            assert env["name"] in known, (name, env["name"])
            if "secretKeyRef" in (env.get("valueFrom") or {}):
                assert env["valueFrom"]["secretKeyRef"]["name"] == "procedura-secrets"
                secret_vars.add(env["name"])
        assert pod["containers"][0]["envFrom"][0]["configMapRef"]["name"] == configmap["metadata"]["name"]
    assert secret_vars == {"PROCEDURA_AMQP_URI", "PROCEDURA_DATABASE_URL",
                           "PROCEDURA_ELASTICSEARCH_URL", "PROCEDURA_MINIO_ACCESS_KEY",
                           "PROCEDURA_MINIO_SECRET_KEY", "PROCEDURA_AUTH_SECRET",
                           "PROCEDURA_LDAP_BIND_PASSWORD", "PROCEDURA_OIDC_CLIENT_SECRET"}
    # everything config/procedura.yaml reads is set by the ConfigMap or a Secret
    assert known <= set(configmap["data"]) | secret_vars, known - set(configmap["data"]) - secret_vars


# ---- overlay shapes ----------------------------------------------------------------------------
def test_dev_runs_one_of_everything_with_the_engines_inside(dev):
    for doc in dev:
        if doc["kind"] in ("Deployment", "StatefulSet"):
            assert doc["spec"]["replicas"] == 1, m.name_of(doc)
    for engine in ("rabbitmq", "postgresql", "minio", "elasticsearch"):
        sts = m.find(dev, "StatefulSet", engine)
        assert sts["spec"]["volumeClaimTemplates"], engine
        m.find(dev, "Service", engine)
    m.find(dev, "Deployment", "tika")
    assert not [d for d in dev if d["kind"] in ("HorizontalPodAutoscaler", "PodDisruptionBudget")]


def test_dev_elasticsearch_installs_the_romanian_analysis_plugin(dev):
    spec = m.pod_template(m.find(dev, "StatefulSet", "elasticsearch"))["spec"]
    init = spec["initContainers"][0]
    assert "elasticsearch-plugin" in " ".join(init["command"])
    assert "procedura-analysis-ro.zip" in " ".join(init["command"])
    zip_volume = next(v for v in spec["volumes"] if v["name"] == "plugin-zip")
    assert zip_volume["configMap"]["name"] == "procedura-es-plugin"
    main = spec["containers"][0]
    assert main["image"] == init["image"] == "docker.elastic.co/elasticsearch/elasticsearch:8.19.21"
    mounts = {mnt["mountPath"]: mnt["name"] for mnt in main["volumeMounts"]}
    assert mounts["/usr/share/elasticsearch/plugins"] == "plugins"


def test_prod_is_replicated_autoscaled_budgeted_and_spread(prod):
    hpas = {d["spec"]["scaleTargetRef"]["name"]: d for d in prod
            if d["kind"] == "HorizontalPodAutoscaler"}
    assert {"gateway", "search", "extraction"} <= set(hpas)
    budgets = [d for d in prod if d["kind"] == "PodDisruptionBudget"]
    for doc in prod:
        if doc["kind"] != "Deployment":
            continue
        name = doc["metadata"]["name"]
        if name in hpas:
            assert "replicas" not in doc["spec"], f"{name}: replicas would fight the HPA"
            assert hpas[name]["spec"]["minReplicas"] >= 2
        else:
            assert doc["spec"]["replicas"] >= 2, name
        labels = m.pod_template(doc)["metadata"]["labels"]
        assert any(m.matches(b["spec"]["selector"], labels) for b in budgets), f"{name}: no PDB"
        spec = m.pod_template(doc)["spec"]
        assert spec["affinity"]["podAntiAffinity"], name
        assert spec["topologySpreadConstraints"], name
    # the engines are external but MinIO (test_prod_engines.py: Procedura gives it one
    # endpoint, a Service that admits only ready servers)
    assert [m.name_of(d) for d in prod if d["kind"] == "StatefulSet"] == ["StatefulSet/minio"]
    for engine in ("rabbitmq", "postgresql", "elasticsearch"):
        assert m.find(prod, "Service", f"{engine}-0")["spec"]["type"] == "ExternalName"
        policy = m.find(prod, "NetworkPolicy", f"egress-to-{engine}")
        assert all("ipBlock" in peer for rule in policy["spec"]["egress"] for peer in rule["to"])
    ingress = m.find(prod, "Ingress", "gateway")
    paths = [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert [p["path"] for p in paths] == ["/api"]
    assert {p["backend"]["service"]["name"] for p in paths} == {"gateway"}


# ---- issue 12: broker identities and /metrics -------------------------------------------------
@pytest.mark.parametrize("overlay", m.OVERLAYS)
def test_each_service_connects_to_rabbitmq_as_its_own_user(rendered, overlay):
    keys = {}
    for name in m.SERVICES:
        pod = m.pod_template(m.find(rendered[overlay], "Deployment", name))["spec"]
        [amqp] = [e for e in pod["containers"][0]["env"] if e["name"] == "PROCEDURA_AMQP_URI"]
        keys[name] = amqp["valueFrom"]["secretKeyRef"]["key"]
    assert keys == {name: f"amqp-uri-{name}" for name in m.SERVICES}


def test_dev_rabbitmq_has_no_guest_and_a_job_gives_every_user_its_permissions(dev):
    from services.common import broker_users

    rabbitmq = m.pod_template(m.find(dev, "StatefulSet", "rabbitmq"))["spec"]["containers"][0]
    env = {e["name"]: e for e in rabbitmq["env"]}
    assert env["RABBITMQ_DEFAULT_USER"]["value"] == broker_users.ADMIN
    assert "secretKeyRef" in env["RABBITMQ_DEFAULT_PASS"]["valueFrom"]
    job = m.pod_template(m.find(dev, "Job", "procedura-rabbitmq-users"))["spec"]["containers"][0]
    assert job["command"][:4] == ["python", "-m", "services.common.broker_users", "apply"]
    given = {e["name"] for e in job["env"] if "secretKeyRef" in e["valueFrom"]}
    assert given == {broker_users.password_key(u) for u in broker_users.users()}


@pytest.mark.parametrize("overlay", m.OVERLAYS)
def test_metrics_are_served_on_a_port_that_staff_do_not_reach(rendered, overlay):
    docs = rendered[overlay]
    configmap = next(d for d in docs if d["kind"] == "ConfigMap"
                     and d["metadata"]["name"].startswith("procedura-settings"))
    metrics_port = int(configmap["data"]["PROCEDURA_METRICS_ADDRESS"].rsplit(":", 1)[1])
    web_port = int(configmap["data"]["PROCEDURA_GATEWAY_ADDRESS"].rsplit(":", 1)[1])
    assert metrics_port != web_port
    gateway = m.pod_template(m.find(docs, "Deployment", "gateway"))["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in gateway["ports"]}
    assert ports == {"http": web_port, "metrics": metrics_port}
    # the Service and every Ingress path lead to the API port only
    service = m.find(docs, "Service", "gateway")
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    for ingress in (d for d in docs if d["kind"] == "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                assert path["backend"]["service"] == {"name": "gateway", "port": {"name": "http"}}
    # the ingress controller may reach the API port, never the metrics port
    doors = [(peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
              [p["port"] for p in rule["ports"]])
             for p in docs if p["kind"] == "NetworkPolicy"
             and m._selects(p, m.pod_template(m.find(docs, "Deployment", "gateway"))
                            ["metadata"]["labels"], "Ingress")
             for rule in p["spec"].get("ingress") or [] for peer in rule.get("from") or []]
    assert sorted(doors) == [("ingress-nginx", [web_port]), ("monitoring", [metrics_port])]
