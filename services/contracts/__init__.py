"""Procedura's shared contracts: the events it publishes, the RPC payloads, the errors.

Every service imports these; no service imports another service's package.
"""
