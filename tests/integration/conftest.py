import pytest

from tests.testenv import TestEnvironment


@pytest.fixture(scope="session")
def environment(stack, run_id):
    env = TestEnvironment(f"{run_id}i")
    env.create()
    yield env
    env.destroy()


@pytest.fixture(scope="session")
def settings(environment):
    from services.common.settings import Settings

    return Settings.from_config(environment.config())


@pytest.fixture(scope="session")
def store(settings):
    """Versioning's object store of this run, its buckets made."""
    from services.versioning.adapters.storage import ObjectStore

    store = ObjectStore(settings.minio)
    store.ensure_buckets()
    return store


@pytest.fixture(scope="session")
def db(environment):
    """The documents schema of this run, through the services' own Database."""
    from services.common.db import Database, make_green
    from services.common.migrations import migrate

    make_green()  # as in the services: queries yield, so the approvals really overlap
    migrate(environment.database_url, "documents", "services.documents.migrations")
    database = Database(environment.database_url, "documents", maxconn=60)
    with database.transaction() as cur:
        cur.execute("INSERT INTO departments (code, name) VALUES ('DJ', 'Direcția Juridică') "
                    "ON CONFLICT DO NOTHING")
    yield database
    database.close()
