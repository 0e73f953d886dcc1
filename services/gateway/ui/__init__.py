"""The staff web interface: server-rendered pages of the gateway (ui_routes.py)."""
