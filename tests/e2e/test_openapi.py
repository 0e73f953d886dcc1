"""/api/openapi.json against the running gateway: real answers match their schemas, and
schemathesis' generated requests never get a 5xx: a bounded number per operation, valid
and invalid, then chains of calls that follow the links schemathesis infers between
operations (an id a call answers, used by the next), all as the quality office."""
from __future__ import annotations

import uuid

import jsonschema
import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

from procedura_cli.docgen import docx_bytes
from tests.e2e.test_walking_skeleton import DOCX, register, unique_code
from tests.helpers import extraction_settled

EXAMPLES = 20          # generated requests per operation and mode (bounded: CI has 2 cores)
# each failed login counts against the address's login throttle, which every test shares
FEWER_EXAMPLES = {("POST", "/api/auth/token"): 10}
NOT_GENERATED = {("GET", "/api/feed/stream"),   # an endless stream: tested in test_notifications
                 # it revokes the token every other operation here uses: test_logins
                 ("POST", "/api/auth/logout")}
CHAINS, CHAIN_STEPS = 60, 6   # stateful: scenarios, and calls in each at most
# the generated logins fail from an address of their own (the test environment trusts
# loopback as a proxy), so they never make the suite's own address wait (429)
FUZZ_ADDRESS = {"X-Forwarded-For": "198.51.100.254"}


@pytest.fixture(scope="module")
def spec(gateway):
    response = requests.get(f"{gateway}/api/openapi.json", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


class Checker:
    def __init__(self, spec: dict):
        self.spec = spec
        self.checked: set[tuple[str, str, int]] = set()

    def __call__(self, method: str, path: str, response: requests.Response, status: int):
        assert response.status_code == status, response.text[:500]
        operation = self.spec["paths"][path][method.lower()]
        content = operation["responses"][str(status)]["content"]
        schema = content["application/json"]["schema"]
        jsonschema.validate(response.json(), {**schema, "components": self.spec["components"]},
                            cls=jsonschema.Draft202012Validator)
        self.checked.add((method, path, status))
        return response.json()


def test_real_answers_match_the_description(spec, login, gateway):
    check = Checker(spec)
    author, verifier, admin = login("ana.popescu"), login("stefan.ionescu"), login(
        "elena.dumitrascu")
    token = requests.post(f"{gateway}/api/auth/token", timeout=30,
                          json={"username": "ana.popescu", "password": "demo-dj"})
    check("POST", "/api/auth/token", token, 200)
    check("GET", "/api/me", author.request("GET", "/api/me"), 200)

    code = unique_code()
    document = check("POST", "/api/documents", author.request("POST", "/api/documents", json={
        "code": code, "title": "Avizarea contractelor", "type": "PO", "owner_department": "DJ",
        "distribution": ["DJ", "DAP"]}), 201)
    did = document["id"]
    check("GET", "/api/documents", author.request("GET", "/api/documents"), 200)
    check("GET", "/api/documents/{document_id}", author.request("GET", f"/api/documents/{did}"),
          200)
    versions = []
    for text in ("Termenul este de 30 de zile.", "Termenul este de 15 zile lucrătoare."):
        upload = author.request("POST", f"/api/documents/{did}/versions", files={
            "file": ("avizare.docx", docx_bytes("Avizare", f"# Avizare\n\n{text}\n"), DOCX)},
            data={"change_summary": "Ediția I"})
        versions.append(check("POST", "/api/documents/{document_id}/versions", upload, 201)["id"])
    for vid in versions:
        extraction_settled(author, vid)
    old, new = versions
    check("GET", "/api/documents/{document_id}/versions",
          author.request("GET", f"/api/documents/{did}/versions"), 200)
    check("GET", "/api/versions/{version_id}", author.request("GET", f"/api/versions/{new}"), 200)
    check("GET", "/api/versions/{version_id}/diff",
          author.request("GET", f"/api/versions/{new}/diff", params={"against": old}), 200)
    check("POST", "/api/versions/{version_id}/{action}",
          author.request("POST", f"/api/versions/{new}/submit", json={"comment": "gata"}), 200)
    inbox = check("GET", "/api/me/inbox", verifier.request("GET", "/api/me/inbox"), 200)
    assert any(i["revision"]["version_id"] == new and i["actions"] == ["verify", "reject"]
               for i in inbox["items"])
    check("GET", "/api/versions/{version_id}/signatures",
          author.request("GET", f"/api/versions/{new}/signatures"), 200)
    check("GET", "/api/search", author.request("GET", "/api/search", params={"q": "termenul"}),
          200)
    check("GET", "/api/search/suggest",
          author.request("GET", "/api/search/suggest", params={"q": "aviz"}), 200)
    check("GET", "/api/feed", verifier.request("GET", "/api/feed"), 200)
    check("POST", "/api/feed/read-all", verifier.request("POST", "/api/feed/read-all"), 200)
    check("GET", "/api/audit", admin.request("GET", "/api/audit", params={"document_id": did}),
          200)
    check("POST", "/api/documents/{document_id}/new-edition",
          author.request("POST", f"/api/documents/{did}/new-edition"), 200)

    # errors have the one error shape, under the status the description names
    check("GET", "/api/documents/{document_id}",
          author.request("GET", "/api/documents/00000000-0000-0000-0000-000000000000"), 404)
    check("POST", "/api/documents", author.request("POST", "/api/documents", json={}), 422)
    check("GET", "/api/me", requests.get(f"{gateway}/api/me", timeout=30), 401)
    check("POST", "/api/versions/{version_id}/{action}",
          author.request("POST", f"/api/versions/{new}/approve", json={}), 403)

    # the register, acknowledgements, preferences, processes and risks
    check("PATCH", "/api/documents/{document_id}", admin.request(
        "PATCH", f"/api/documents/{did}", json={"scim_standard": 6, "retention_class": None}), 200)
    check("GET", "/api/versions/{version_id}/acknowledgements",
          admin.request("GET", f"/api/versions/{new}/acknowledgements"), 200)
    check("GET", "/api/acknowledgements",
          admin.request("GET", "/api/acknowledgements", params={"department": "DJ"}), 200)
    check("GET", "/api/me/acknowledgements", author.request("GET", "/api/me/acknowledgements"),
          200)
    check("PUT", "/api/me/preferences", author.request("PUT", "/api/me/preferences", json={
        "email_delivery": "daily_digest"}), 200)
    check("GET", "/api/me/preferences", author.request("GET", "/api/me/preferences"), 200)
    check("GET", "/api/email/deliveries", admin.request("GET", "/api/email/deliveries"), 200)
    process_code = f"P-{uuid.uuid4().hex[:6].upper()}"
    check("POST", "/api/processes", admin.request("POST", "/api/processes", json={
        "code": process_code, "name": "Avizare juridică", "department": "DJ",
        "owner": "stefan.ionescu"}), 201)
    check("GET", "/api/processes", author.request("GET", "/api/processes"), 200)
    check("PUT", "/api/processes/{code}", admin.request(
        "PUT", f"/api/processes/{process_code}", json={"description": "Contracte"}), 200)
    scores = {"inherent_probability": 4, "inherent_impact": 4, "residual_probability": 2,
              "residual_impact": 2}
    risk = check("POST", "/api/risks", admin.request("POST", "/api/risks", json={
        "code": f"R-{uuid.uuid4().hex[:6].upper()}", "department": "DJ",
        "process": process_code, "description": "Contracte fără aviz",
        "controls": [{"measure": "Avizare obligatorie", "procedure": code}], **scores}), 201)
    check("POST", "/api/risks/{risk_id}/assessments", admin.request(
        "POST", f"/api/risks/{risk['id']}/assessments", json=scores), 201)
    check("GET", "/api/risks/{risk_id}", author.request("GET", f"/api/risks/{risk['id']}"), 200)
    check("GET", "/api/risks", author.request("GET", "/api/risks", params={"department": "DJ"}),
          200)
    check("DELETE", "/api/versions/{version_id}",
          author.request("DELETE", f"/api/versions/{old}"), 409)
    assert len(check.checked) == 37


def _operations(spec):
    import schemathesis

    schema = schemathesis.openapi.from_dict(spec)
    for result in schema.get_all_operations():
        operation = result.ok()
        rule = operation.path
        if (operation.method.upper(), rule) not in NOT_GENERATED:
            yield operation


@pytest.mark.timeout(900)   # ~2 minutes alone; more on a busy CI machine
def test_generated_requests_get_no_server_error(spec, login, gateway):
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error

    token = login("elena.dumitrascu").session.headers["Authorization"]
    failures, sent = [], []
    operations = list(_operations(spec))
    assert len(operations) >= 20
    for operation, mode in [(o, m) for o in operations
                            for m in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]:
        examples = FEWER_EXAMPLES.get((operation.method.upper(), operation.path), EXAMPLES)

        @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            response = case.call(base_url=gateway,
                                 headers={"Authorization": token, **FUZZ_ADDRESS}, timeout=60)
            sent.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} → "
                                f"{response.status_code}: {response.text[:300]}")
            case.validate_response(response, checks=[not_a_server_error])

        try:
            run()
        except Unsatisfiable:   # nothing to make invalid: an operation without any input
            assert mode == GenerationMode.NEGATIVE and not operation.definition.raw.get(
                "parameters") and "requestBody" not in operation.definition.raw
        except Exception as exc:   # keep going: report every operation that failed
            failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): "
                            f"{exc!s:.500}")
    print(f"\n{len(sent)} generated requests to {len(operations)} operations "
          f"({sum(s < 300 for s in sent)} answered 2xx), "
          f"{sum(s >= 500 for s in sent)} answered >= 500")
    assert not failures, "\n".join(failures)


def test_chains_of_calls_that_follow_the_links_get_no_server_error(spec, login, gateway):
    """Stateful: a document registered, then its id read, changed, uploaded to, signed...
    along the links schemathesis infers from the description (ids in answers that name
    another operation's parameter)."""
    import schemathesis

    token = login("elena.dumitrascu").session.headers["Authorization"]
    schema = schemathesis.openapi.from_dict(spec).exclude(
        path=[path for _, path in NOT_GENERATED]).exclude(path="/api/auth/token")
    failures, sent = [], []

    class Chains(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"base_url": gateway, "headers": {"Authorization": token}, "timeout": 60}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # only the server's own failures: 4xx answers to generated input are expected
            sent.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} → "
                                f"{response.status_code}: {response.text[:300]}")

    assert schema.as_state_machine().bundles, "no links between operations were found"
    Chains.run(settings=settings(
        max_examples=CHAINS, stateful_step_count=CHAIN_STEPS, deadline=None, database=None,
        derandomize=True, phases=[Phase.generate], suppress_health_check=list(HealthCheck)))
    print(f"\n{CHAINS} chains, {len(sent)} calls ({sum(s < 300 for s in sent)} answered "
          f"2xx), {sum(s >= 500 for s in sent)} answered >= 500")
    assert len(sent) >= CHAINS
    assert not failures, "\n".join(failures)
