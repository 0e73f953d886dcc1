"""The service identities (broker users, services/common/broker_users.py) that may make
an RPC that acts for no person: `@rpc(callers=...)` (services/common/identity.py).
The operators' identity (procedura CLI) may make every call."""
GATEWAY = ("gateway",)      # answers people, after checking what they may do
DOCUMENTS = ("documents",)  # stores and disposes of versions for the register
SEARCH = ("search",)        # the projection reads every record, confidential ones too
OPERATORS = ()              # the CLI only (procedura audit verify, verify-integrity, doctor)
