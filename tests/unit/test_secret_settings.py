"""No secret has a usable default: a missing one, or one written in the repository, stops
the component that needs it, naming the setting (services/common/settings.py)."""
import re
from pathlib import Path

import pytest
import yaml

from services.common.settings import InsecureSetting, Settings, known_value, load_config

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "PROCEDURA_AMQP_URI": "pyamqp://gateway:Zx8kQ2vLr5Tw9pNc3bHs@127.0.0.1:5672/",
    "PROCEDURA_DATABASE_URL": "postgresql://procedura:Gt4mWq9ZkP2xVr7nLs3c@127.0.0.1:5432/p",
    "PROCEDURA_MINIO_ACCESS_KEY": "procedura-Hq3kR8sVw2Lm",
    "PROCEDURA_MINIO_SECRET_KEY": "Rk2wP9vXc4Zt7LmQs8Nb5Hg3",
    "PROCEDURA_AUTH_SECRET": "Yp7Tq2Wm9Kx4Rb8Vz3Nc6Lh5Gs1Fd0Jk2Qw8Ep",
}
SECRETS = {"amqp_uri": "PROCEDURA_AMQP_URI", "database_url": "PROCEDURA_DATABASE_URL",
           "minio.access_key": "PROCEDURA_MINIO_ACCESS_KEY",
           "minio.secret_key": "PROCEDURA_MINIO_SECRET_KEY",
           "auth_secret": "PROCEDURA_AUTH_SECRET"}


def settings_with(monkeypatch, **overrides) -> Settings:
    for key in GOOD:
        monkeypatch.delenv(key, raising=False)
    for key, value in {**GOOD, **overrides}.items():
        if value is not None:
            monkeypatch.setenv(key, value)
    return Settings.from_config(load_config(ROOT / "config" / "procedura.yaml"))


def test_the_configuration_file_gives_no_secret_a_default(monkeypatch):
    settings = settings_with(monkeypatch, **{k: None for k in GOOD})
    for name, variable in SECRETS.items():
        with pytest.raises(InsecureSetting, match=re.escape(variable)) as refused:
            settings.secret(name)
        assert "is missing" in str(refused.value)


def test_generated_secrets_are_accepted_and_kept_as_strings(monkeypatch):
    settings = settings_with(monkeypatch, PROCEDURA_AUTH_SECRET="1234567890" * 4)
    assert settings.secret("auth_secret") == "1234567890" * 4     # not a number
    assert settings.secret("minio.secret_key") == GOOD["PROCEDURA_MINIO_SECRET_KEY"]
    assert settings.secret("amqp_uri") == GOOD["PROCEDURA_AMQP_URI"]


@pytest.mark.parametrize("variable,value", [
    ("PROCEDURA_AUTH_SECRET", "dev-only-secret-not-for-production"),
    ("PROCEDURA_MINIO_SECRET_KEY", "procedura-dev-secret"),
    ("PROCEDURA_MINIO_ACCESS_KEY", "procedura"),
    ("PROCEDURA_MINIO_SECRET_KEY", "minioadmin"),
    ("PROCEDURA_DATABASE_URL", "postgresql://procedura:procedura@127.0.0.1:5432/procedura"),
    ("PROCEDURA_AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/"),
    ("PROCEDURA_AMQP_URI", "pyamqp://gateway:guest@127.0.0.1:5672/"),
    ("PROCEDURA_AUTH_SECRET", "CHANGE-ME-this-is-a-placeholder-of-deploy-k8s"),
    ("PROCEDURA_MINIO_SECRET_KEY", "demo-primar"),
])
def test_a_value_written_in_the_repository_is_refused_wherever_settings_are_read(
        monkeypatch, variable, value):
    with pytest.raises(InsecureSetting, match=re.escape(variable)):
        settings_with(monkeypatch, **{variable: value})


def test_a_short_signing_key_is_refused(monkeypatch):
    with pytest.raises(InsecureSetting, match="PROCEDURA_AUTH_SECRET.*shorter than 32"):
        settings_with(monkeypatch, PROCEDURA_AUTH_SECRET="Zq8Lw3Xr7Kp2")


def test_a_database_url_without_a_password_is_refused_where_it_is_needed(monkeypatch):
    settings = settings_with(monkeypatch,
                             PROCEDURA_DATABASE_URL="postgresql://procedura@127.0.0.1/p")
    with pytest.raises(InsecureSetting, match="PROCEDURA_DATABASE_URL.*no password"):
        settings.secret("database_url")


def test_every_demo_password_and_the_old_defaults_are_known_values():
    organisation = yaml.safe_load((ROOT / "demo" / "organisation.yaml").read_text())
    passwords = {u["password"] for u in organisation["users"]}
    assert passwords and all(known_value(p) for p in passwords)
    assert all(known_value(v) for v in ("guest", "procedura", "procedura-dev-secret",
                                        "dev-only-secret-not-for-production"))
    assert not known_value("Yp7Tq2Wm9Kx4Rb8Vz3Nc6Lh5Gs1Fd0Jk2Qw8Ep")

