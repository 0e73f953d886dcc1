"""The errors of services/contracts/errors.py registered with nameko, on the caller's
side: an RPC that raises `NotFound` raises `NotFound` in its caller, not nameko's
`RemoteError` (which the gateway would answer with a 500 in place of a 404).

Imported by every RPC proxy (services/common/identity.py, gateway/rpc.py) and by the
tests; registering is idempotent, so importing it twice does no harm.
"""
from nameko.exceptions import deserialize_to_instance

from services.contracts.errors import EXPECTED


def register() -> None:
    """Register every expected error (again: the registry is a dict keyed by path)."""
    for error in EXPECTED:
        deserialize_to_instance(error)


register()
