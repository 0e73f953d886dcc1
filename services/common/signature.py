"""An entrypoint's arguments checked against its method's signature as read when the
service starts. nameko's `Entrypoint.check_signature` inspects the method again on every
call (`inspect.getcallargs`: 20-30 us an RPC or HTTP request, the gateway's largest
piece of nameko's per-request work besides the worker itself; docs/benchmarks.md,
issue 18); a signature does not change while the process runs."""
from __future__ import annotations

import inspect

from nameko.exceptions import IncorrectSignature


class SignatureReadAtSetup:
    """Mixed in before a nameko Entrypoint class: `_signature` is the method's, read once
    in setup, and `check_signature` binds the call's arguments to it (IncorrectSignature,
    as nameko, when they do not fit)."""

    def setup(self):
        self._signature = inspect.signature(getattr(self.container.service_cls,
                                                    self.method_name))
        super().setup()

    def check_signature(self, args, kwargs):
        try:
            self._signature.bind(None, *args, **kwargs)   # None: the unbound method's self
        except TypeError as exc:
            raise IncorrectSignature(str(exc)) from None
