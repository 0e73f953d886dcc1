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
