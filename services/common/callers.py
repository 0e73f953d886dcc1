"""The service identities (broker users, services/common/broker_users.py) that may make
an RPC besides the gateway acting for a person it authenticated: `@rpc(callers=...)`
(services/common/identity.py). The operators' identity (procedura CLI) may make every
call."""
GATEWAY = ("gateway",)      # answers people, after checking what they may do
DOCUMENTS = ("documents",)  # stores and disposes of versions for the register
SEARCH = ("search",)        # the projection reads every record, confidential ones too
NOTIFICATIONS = ("notifications",)   # resolves who is told (people's addresses, roles)
OPERATORS = ()              # the CLI only (procedura audit verify, verify-integrity, doctor)
