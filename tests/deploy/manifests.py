"""Rendering deploy/k8s and the rules every rendered object must follow.

The checks return lists of problems (empty = fine) so the tests can show both that the
real manifests pass and that a manifest missing a probe, a limit or a securityContext
field fails. Rendering goes through scripts/k8s-validate.sh, which installs the pinned
kustomize (and the Python tools) when they are missing: a missing tool fails, never skips.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
SCRIPT = REPO / "scripts" / "k8s-validate.sh"
CONFIG = REPO / "config" / "procedura.yaml"

OVERLAYS = ("dev", "prod")
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet"}
PROBES = ("startupProbe", "readinessProbe", "livenessProbe")
PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")

# Procedura's processes: the service (module:Class) each Deployment runs, and the engines it may
# reach (docs/architecture.md). "dns" is open to every pod.
SERVICES = {
    "gateway": "services.gateway.service:GatewayService",
    "documents": "services.documents.service:DocumentsService",
    "versioning": "services.versioning.service:VersioningService",
    "extraction": "services.versioning.worker:ExtractionWorker",
    "renditions": "services.renditions.worker:RenditionWorker",
    "search": "services.search.service:SearchService",
    "notifications": "services.notifications.service:NotificationsService",
}
EXPECTED_EGRESS = {
    "gateway": {"rabbitmq", "minio"},
    "documents": {"rabbitmq", "postgresql", "directory"},   # logins and the sync (LDAPS)
    "versioning": {"rabbitmq", "postgresql", "minio"},   # uploads never wait for Tika
    "extraction": {"rabbitmq", "postgresql", "minio", "tika"},
    # reads untrusted files with LibreOffice and Tesseract: nothing beyond its stores
    "renditions": {"rabbitmq", "postgresql", "minio"},
    "search": {"rabbitmq", "elasticsearch", "minio"},
    "notifications": {"rabbitmq", "postgresql", "smtp"},   # e-mail to the mail relay
    "procedura-migrate": {"postgresql"},
    "procedura-backup": {"postgresql", "minio"},   # components/backup: the nightly CronJob
    # dev: creates the services' RabbitMQ users (overlays/dev/engines/rabbitmq-users.yaml)
    "procedura-rabbitmq-users": {"rabbitmq-management"},
    # engines reach nothing but DNS
    "rabbitmq": set(), "postgresql": set(), "minio": set(), "elasticsearch": set(),
    "tika": set(),
}
ENGINE_PORTS = {5672: "rabbitmq", 5432: "postgresql", 9000: "minio", 9200: "elasticsearch",
                9998: "tika", 53: "dns", 25: "smtp", 15672: "rabbitmq-management",
                636: "directory"}
# the gateway's doors: the ingress controller on the API port, monitoring on /metrics'
GATEWAY_DOORS = {"ingress-nginx": [8080], "monitoring": [9102]}
# the pod labels an in-namespace engine admits (dev RabbitMQ: its management API for the
# Job that creates the users)
ENGINE_DOORS = {"rabbitmq": ("rabbitmq", "rabbitmq-management")}
ENGINES = {"rabbitmq", "postgresql", "minio", "elasticsearch", "tika"}
# environment variables that carry credentials: only ever from a Secret
SECRET_ENV = re.compile(r"(PASS|PASSWORD|SECRET|ACCESS_KEY|_URI|DATABASE_URL|ELASTICSEARCH_URL)$")


# ---- rendering ---------------------------------------------------------------------------
def run_script(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


def render_all(out: Path) -> dict[str, list[dict]]:
    """Every overlay rendered by scripts/k8s-validate.sh, parsed."""
    result = run_script("render", str(out))
    if result.returncode != 0:
        raise AssertionError(f"scripts/k8s-validate.sh render failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return {name: load(out / f"{name}.yaml") for name in OVERLAYS}


def kustomize_bin() -> Path:
    from os import environ

    cache = environ.get("PROCEDURA_CACHE") or str(
        Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "procedura")
    return Path(cache) / "bin" / "kustomize"


def kustomize_build(directory: Path) -> list[dict]:
    result = subprocess.run([str(kustomize_bin()), "build", str(directory)],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise AssertionError(f"kustomize build {directory} failed:\n{result.stderr}")
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def load(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [d for d in yaml.safe_load_all(fh) if d]


# ---- helpers -----------------------------------------------------------------------------
def name_of(doc: dict) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def pod_template(doc: dict) -> dict:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]
    return doc["spec"]["template"]


def workloads(docs: list[dict]) -> list[dict]:
    return [d for d in docs if d["kind"] in WORKLOAD_KINDS]


def find(docs: list[dict], kind: str, name: str) -> dict:
    for doc in docs:
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise AssertionError(f"{kind}/{name} not rendered")


def image_problem(image: str) -> str | None:
    """None when the image names an explicit tag other than `latest`."""
    if not image:
        return "no image"
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"image {image!r} has no tag"
    tag = last.rsplit(":", 1)[1]
    if not tag or tag == "latest":
        return f"image {image!r} uses the tag {tag or '(empty)'!r}"
    return None


def matches(selector: dict, labels: dict) -> bool:
    """A NetworkPolicy/label selector against labels (matchLabels only: we write no
    matchExpressions, and an unknown form must not be silently treated as a match)."""
    if set(selector) - {"matchLabels"}:
        raise AssertionError(f"selector form not understood by the checks: {selector}")
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


# ---- the rules -----------------------------------------------------------------------------
def workload_problems(docs: list[dict]) -> list[str]:
    """Probes, requests and limits, the securityContext, /tmp, image tags, grace periods."""
    problems: list[str] = []
    found = workloads(docs)
    if not found:
        problems.append("no workload rendered")
    for doc in found:
        where = name_of(doc)
        template = pod_template(doc)
        spec = template["spec"]
        pod_sc = spec.get("securityContext") or {}
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{where}: automountServiceAccountToken is not false")
        if spec.get("hostNetwork") or spec.get("hostPID") or spec.get("hostIPC"):
            problems.append(f"{where}: uses the host's namespaces")
        if doc["kind"] in LONG_RUNNING:
            grace = spec.get("terminationGracePeriodSeconds")
            if not isinstance(grace, int) or grace < 30:
                problems.append(f"{where}: terminationGracePeriodSeconds not set to >= 30")
        volumes = {v["name"]: v for v in spec.get("volumes") or []}
        containers = [("container", c) for c in spec.get("containers") or []]
        containers += [("initContainer", c) for c in spec.get("initContainers") or []]
        if not spec.get("containers"):
            problems.append(f"{where}: no containers")
        for role, c in containers:
            at = f"{where} {role} {c.get('name')}"
            bad = image_problem(c.get("image", ""))
            if bad:
                problems.append(f"{at}: {bad}")
            if role == "container" and doc["kind"] in LONG_RUNNING:
                for probe in PROBES:
                    handler = c.get(probe) or {}
                    if not any(h in handler for h in PROBE_HANDLERS):
                        problems.append(f"{at}: no {probe}")
            resources = c.get("resources") or {}
            for section in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if not (resources.get(section) or {}).get(resource):
                        problems.append(f"{at}: no {section}.{resource}")
            sc = c.get("securityContext") or {}
            run_as_non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
            if run_as_non_root is not True:
                problems.append(f"{at}: runAsNonRoot is not true")
            if sc.get("runAsUser", pod_sc.get("runAsUser")) == 0:
                problems.append(f"{at}: runs as uid 0")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{at}: allowPrivilegeEscalation is not false")
            if sc.get("privileged"):
                problems.append(f"{at}: privileged")
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{at}: readOnlyRootFilesystem is not true")
            caps = sc.get("capabilities") or {}
            if "ALL" not in (caps.get("drop") or []):
                problems.append(f"{at}: capabilities do not drop ALL")
            if caps.get("add"):
                problems.append(f"{at}: adds capabilities {caps['add']}")
            seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
            if seccomp != "RuntimeDefault":
                problems.append(f"{at}: seccompProfile is not RuntimeDefault")
            tmp = [m for m in c.get("volumeMounts") or [] if m.get("mountPath") == "/tmp"]
            if not tmp or "emptyDir" not in volumes.get(tmp[0]["name"], {}):
                problems.append(f"{at}: no emptyDir mounted at /tmp")
    return problems


def secret_problems(docs: list[dict]) -> list[str]:
    """No Secret holds a value; credentials reach containers only through secretKeyRef."""
    problems: list[str] = []
    for doc in docs:
        if doc["kind"] == "Secret" and (doc.get("data") or doc.get("stringData")):
            problems.append(f"{name_of(doc)}: holds values ({sorted((doc.get('data') or {}) | (doc.get('stringData') or {}))})")
        if doc["kind"] == "ConfigMap":
            for key in doc.get("data") or {}:
                if SECRET_ENV.search(key):
                    problems.append(f"{name_of(doc)}: credential-like key {key} in a ConfigMap")
    for doc in workloads(docs):
        spec = pod_template(doc)["spec"]
        for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
            for env in c.get("env") or []:
                if SECRET_ENV.search(env["name"]) and "secretKeyRef" not in (env.get("valueFrom") or {}):
                    problems.append(f"{name_of(doc)} {c['name']}: {env['name']} not from a Secret")
    return problems


def _policies(docs: list[dict]) -> list[dict]:
    return [d for d in docs if d["kind"] == "NetworkPolicy"]


def _pods(docs: list[dict]) -> dict[str, dict]:
    """name -> pod labels of every workload."""
    return {d["metadata"]["name"]: pod_template(d)["metadata"].get("labels") or {}
            for d in workloads(docs)}


def _selects(policy: dict, labels: dict, direction: str) -> bool:
    spec = policy["spec"]
    types = spec.get("policyTypes") or (["Ingress"] + (["Egress"] if "egress" in spec else []))
    return direction in types and matches(spec.get("podSelector") or {}, labels)


def network_problems(docs: list[dict]) -> list[str]:
    """Default deny; only the gateway takes traffic from outside the namespace; each
    workload's egress opens exactly the engines it needs (plus DNS)."""
    problems: list[str] = []
    policies = _policies(docs)
    if not any(matches(p["spec"].get("podSelector") or {}, {}) and
               set(p["spec"].get("policyTypes") or []) == {"Ingress", "Egress"} and
               not p["spec"].get("ingress") and not p["spec"].get("egress") for p in policies):
        problems.append("no default-deny NetworkPolicy (podSelector {}, Ingress and Egress, no rules)")
    pods = _pods(docs)
    for pod, labels in pods.items():
        # ingress
        for p in policies:
            if not _selects(p, labels, "Ingress"):
                continue
            for rule in p["spec"].get("ingress") or []:
                peers = rule.get("from")
                external = not peers or any("namespaceSelector" in peer or "ipBlock" in peer
                                            for peer in peers)
                if external and pod != "gateway":
                    problems.append(f"{pod}: accepts traffic from outside the namespace "
                                    f"(NetworkPolicy/{p['metadata']['name']})")
                if not rule.get("ports"):
                    problems.append(f"{pod}: NetworkPolicy/{p['metadata']['name']} opens every port")
        # egress
        reached: set[str] = set()
        for p in policies:
            if not _selects(p, labels, "Egress"):
                continue
            for rule in p["spec"].get("egress") or []:
                where = f"{pod}: NetworkPolicy/{p['metadata']['name']}"
                if not rule.get("to"):
                    problems.append(f"{where} opens egress to anywhere")
                for peer in rule.get("to") or []:
                    cidr = (peer.get("ipBlock") or {}).get("cidr", "")
                    if cidr.endswith("/0"):
                        problems.append(f"{where} opens egress to {cidr}")
                if not rule.get("ports"):
                    problems.append(f"{where} opens every port")
                for port in rule.get("ports") or []:
                    engine = ENGINE_PORTS.get(port.get("port"))
                    if engine is None:
                        problems.append(f"{where} opens port {port.get('port')}, no engine's")
                    else:
                        reached.add(engine)
        expected = EXPECTED_EGRESS.get(pod)
        # a clustered engine may reach its own servers (prod's distributed MinIO), no other
        peers = {pod} & ENGINES
        if expected is None:
            problems.append(f"{pod}: a workload the checks do not know (add it to EXPECTED_EGRESS)")
        elif reached - peers != expected | {"dns"}:
            problems.append(f"{pod}: egress reaches {sorted(reached)}, "
                            f"expected {sorted(expected | {'dns'})}")
    # the gateway's own door: the ingress controller on 8080, nothing wider
    gateway = pods.get("gateway")
    if gateway is None:
        problems.append("no gateway workload")
    else:
        doors = [rule for p in policies if _selects(p, gateway, "Ingress")
                 for rule in p["spec"].get("ingress") or []]
        if not doors:
            problems.append("gateway: no NetworkPolicy lets the ingress controller in")
        for rule in doors:
            for peer in rule.get("from") or []:
                if "ipBlock" in peer or not (peer.get("namespaceSelector") or {}).get("matchLabels"):
                    problems.append(f"gateway: ingress from {peer}, expected a named namespace")
                    continue
                namespace = peer["namespaceSelector"]["matchLabels"].get(
                    "kubernetes.io/metadata.name")
                ports = [p.get("port") for p in rule.get("ports") or []]
                if GATEWAY_DOORS.get(namespace) != ports:
                    problems.append(f"gateway: ingress from {namespace} on {ports}, expected "
                                    f"{GATEWAY_DOORS}")
    # in-namespace engines accept only the pods labelled for them
    for engine in ENGINES:
        labels = pods.get(engine)
        if labels is None:
            continue
        for p in policies:
            if not _selects(p, labels, "Ingress"):
                continue
            for rule in p["spec"].get("ingress") or []:
                allowed = [{f"egress.procedura.ro/{label}": "true"}
                           for label in ENGINE_DOORS.get(engine, (engine,))]
                for peer in rule.get("from") or []:
                    if (peer.get("podSelector") or {}).get("matchLabels") not in allowed:
                        problems.append(f"{engine}: ingress from {peer}")
    return problems


def settings_variables() -> set[str]:
    """The PROCEDURA_* variables config/procedura.yaml reads."""
    return set(re.findall(r"\$\{(PROCEDURA_[A-Z_]+)[:}]", CONFIG.read_text(encoding="utf-8")))
