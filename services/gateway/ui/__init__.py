"""The staff web interface: server-rendered pages of the gateway (routes/web_*.py)."""
