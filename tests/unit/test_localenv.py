"""procedura_cli/localenv.py: the environment a process of the local stack starts with,
from .stack/secrets.env (the environment winning), as one broker user."""
import os

from kombu import Connection

from procedura_cli import localenv


def write_secrets(tmp_path, **values):
    (tmp_path / "secrets.env").write_text(
        "# generated\n" + "".join(f"{k}={v}\n" for k, v in values.items()))
    return {"PROCEDURA_STACK_DIR": str(tmp_path)}


def test_a_service_gets_its_own_user_on_the_default_vhost(tmp_path):
    environ = write_secrets(tmp_path, PROCEDURA_AMQP_PASSWORD_SEARCH="Sx9",
                            PROCEDURA_DATABASE_PASSWORD="Db7")
    env = localenv.local_environment("search", environ)
    assert env["PROCEDURA_AMQP_URI"] == "pyamqp://search:Sx9@127.0.0.1:5672/"
    assert Connection(env["PROCEDURA_AMQP_URI"]).virtual_host == "/"
    assert env["PROCEDURA_DATABASE_URL"] == "postgresql://procedura:Db7@127.0.0.1:5432/procedura"


def test_a_test_run_names_its_vhost_and_ports_and_explicit_variables_win(tmp_path):
    environ = write_secrets(tmp_path, PROCEDURA_AMQP_PASSWORD_GATEWAY="Gw1",
                            PROCEDURA_AUTH_SECRET="from-the-file")
    environ.update({"PROCEDURA_AMQP_VHOST": "procedura-t1", "PROCEDURA_AMQP_PORT": "15682",
                    "PROCEDURA_MINIO_PORT": "19010", "PROCEDURA_AUTH_SECRET": "explicit"})
    env = localenv.local_environment("gateway", environ)
    assert env["PROCEDURA_AMQP_URI"] == "pyamqp://gateway:Gw1@127.0.0.1:15682/procedura-t1"
    assert env["PROCEDURA_MINIO_ENDPOINT"] == "127.0.0.1:19010"
    assert env["PROCEDURA_AUTH_SECRET"] == "explicit"


def test_no_file_no_password_no_uri(tmp_path):
    env = localenv.local_environment("documents", {"PROCEDURA_STACK_DIR": str(tmp_path)})
    assert "PROCEDURA_AMQP_URI" not in env and "PROCEDURA_DATABASE_URL" not in env


def test_a_service_is_not_handed_the_other_users_passwords(tmp_path, monkeypatch, capsys):
    environ = write_secrets(tmp_path, PROCEDURA_AMQP_PASSWORD_SEARCH="Sx9",
                            PROCEDURA_AMQP_ADMIN_PASSWORD="Ad3", PROCEDURA_AUTH_SECRET="As5")
    for key in list(os.environ):
        if key.startswith("PROCEDURA_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("PROCEDURA_STACK_DIR", environ["PROCEDURA_STACK_DIR"])
    assert localenv.main(["search"]) == 0
    printed = capsys.readouterr().out
    assert "PROCEDURA_AMQP_URI=pyamqp://search:Sx9@" in printed
    assert "PROCEDURA_AUTH_SECRET=As5" in printed
    assert "Ad3" not in printed and "PROCEDURA_AMQP_PASSWORD_SEARCH" not in printed
