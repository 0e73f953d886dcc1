"""The tests' isolated environment on the real stack: devenv/environment.py (the
benchmarks use it too), under the names the tests import from here."""
from devenv.environment import (  # noqa: F401
    AMQP_PORT, ELASTICSEARCH_URL, HOST, MANAGEMENT, MINIO_ENDPOINT, PG_PORT, ROOT, TIKA_URL,
    TestEnvironment, _admin, admin_database_url, eventually, free_port, minio_admin, port,
    rabbit_auth, stack_secrets)
