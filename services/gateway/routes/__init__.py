"""The gateway's routes, a module per resource: `api_*` the REST API, `web_*` the staff
web interface. Each module has a `router` (services/gateway/routing.py) that
services/gateway/service.py mounts on GatewayService."""
