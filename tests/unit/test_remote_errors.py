"""The contracts' errors cross RPC as themselves: the callers register them with nameko
(services/common/remote_errors.py), so a NotFound raised by a service is a NotFound in
the gateway (a 404), not nameko's RemoteError (a 500)."""
from nameko.exceptions import RemoteError, deserialize, registry, serialize

import services.common.identity  # noqa: F401  (what every RPC proxy imports)
from services.contracts import errors
from services.contracts.errors import EXPECTED, NotFound, ProceduraError


def test_every_error_of_the_contracts_is_registered_by_its_path():
    declared = {name for name, value in vars(errors).items()
                if isinstance(value, type) and issubclass(value, ProceduraError)
                and value is not ProceduraError}
    assert {error.__name__ for error in EXPECTED} == declared
    for error in EXPECTED:
        assert registry[f"services.contracts.errors.{error.__name__}"] is error


def test_a_round_trip_keeps_the_class_the_message_and_the_details():
    # (nameko makes every value that is not text, a list or a dict its text: details
    # carry text, as the services' errors do)
    details = {"document_id": "x", "fields": [{"field": "title", "problem": "missing"}]}
    back = deserialize(serialize(NotFound("no document x", details)))
    assert type(back) is NotFound
    assert back.message == "no document x"
    assert back.details == details
    assert back.code == "not_found"


def test_an_error_outside_the_contracts_stays_a_remote_error():
    back = deserialize(serialize(KeyError("x")))
    assert isinstance(back, RemoteError)
