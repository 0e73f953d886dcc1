"""`procedura`: the command line of Procedura's operators.

  procedura migrate                 apply every service's database migrations
  procedura wait-ready              wait until every service consumes its queues
  procedura demo load               load the demo organisation and procedures
  procedura schemas [--check]       write (or check) docs/events: JSON Schemas,
                                    asyncapi.yaml, published baselines (compatibility)
  procedura search reindex|verify   rebuild the search index / compare it with the register
  procedura events dead-letters list|replay|drop [ID...|--all|--garbage]
                                    messages no service could handle; replay them
  procedura audit verify [--anchor H] check the audit trail's hash chain (exit 1 if broken
                                    or an earlier hash H is no longer in it)
  procedura verify-integrity        hash every stored original again (exit 1 on a problem)
  procedura import FOLDER           import a folder tree of documents (docs/import.md)
  procedura doctor                  stuck or inconsistent items (exit 1 when any)
  procedura renditions rebuild [--missing|--all] [--no-wait]
                                    PDF renditions for versions without one (or all
                                    again), with progress
  procedura staff deactivate|revoke USERNAME
                                    end every session and token of a person now
                                    (deactivate: and refuse their next login)
  procedura directory sync [--dry-run] [--force] | status
                                    bring the staff in line with the city hall's
                                    directory now (docs/identity.md)
  procedura backup create|verify|list|prune|restore DEST
                                    back up everything, check a backup, restore one
                                    into an empty installation and prove it (docs/backup.md)
  procedura health SERVICE [--local] ask a service's health RPC (exit 1 if it fails):
                                    checks the broker and the service's own stores;
                                    --local: this process's own beacon (probes)
"""
from __future__ import annotations

from procedura_cli.green import monkey_patch

monkey_patch()  # nameko's standalone proxies expect a patched process

import argparse  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from urllib.parse import quote  # noqa: E402

import requests  # noqa: E402

from procedura_cli.broker import management_api  # noqa: E402
from procedura_cli.paths import DEFAULT_CONFIG, MIGRATIONS, SCHEMAS  # noqa: E402
# the commands kept in modules of their own, each module imported only when one of its
# commands is named (or for help): `migrate` and `wait-ready`, run by every
# scripts/services.sh up, do not load the backup's, the import's or the search's libraries
COMMAND_MODULES = {
    "search": "search_cli", "events": "events_cli", "import": "import_cli",
    "doctor": "doctor_cli", "staff": "staff_cli", "directory": "directory_cli",
    "backup": "backup_cli", "renditions": "renditions_cli",
    "verify-integrity": "integrity_cli", "audit": "integrity_cli",
}
BUILT_IN = ("migrate", "wait-ready", "demo", "health", "schemas")   # main() below


def _named_command(argv: list[str]) -> str | None:
    """The command `argv` names (its first word that is neither an option nor the value of
    --config), or None."""
    words = iter(argv)
    for word in words:
        if word == "--config":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _command_modules(argv: list[str]) -> list[str]:
    """The modules whose commands the parser needs for `argv`: the named command's, none for
    a command of this module, every one otherwise (help, a mistyped command)."""
    named = _named_command(argv)
    if named in COMMAND_MODULES:
        return [COMMAND_MODULES[named]]
    if named in BUILT_IN:
        return []
    return list(dict.fromkeys(COMMAND_MODULES.values()))


# the queue each process consumes once it is up
READY_QUEUES = {
    "documents": "rpc-documents",
    "versioning": "rpc-versioning",
    "extraction": "evt-versioning-version_stored--extraction.extract_text",
    "renditions": "evt-versioning-version_text_extracted--renditions.on_text_extracted",
    "search": "rpc-search",
    "notifications": "rpc-notifications",
    "gateway": None,  # HTTP: /healthz
}


def _config(args):
    from procedura_cli.localenv import operator_config

    return operator_config(args.config)   # .stack/secrets.env as procedura-admin


def cmd_migrate(args) -> int:
    from services.common.migrations import migrate
    from services.common.settings import Settings

    settings = Settings.from_config(_config(args))
    for schema, package in MIGRATIONS.items():
        applied = migrate(settings.secret("database_url"), schema, package)
        print(f"{schema}: {', '.join(applied) if applied else 'up to date'}")
    return 0


def missing_consumers(config: dict) -> list[str]:
    api, auth, vhost = management_api(config["AMQP_URI"])
    missing = []
    for name, queue in READY_QUEUES.items():
        if queue is None:
            address = config.get("WEB_SERVER_ADDRESS", "127.0.0.1:8080")
            try:
                ok = requests.get(f"http://{address}/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                ok = False
        else:
            try:
                response = requests.get(f"{api}/queues/{quote(vhost, safe='')}/{queue}",
                                        auth=auth, timeout=2)
                ok = response.status_code == 200 and response.json().get("consumers", 0) > 0
            except requests.RequestException:
                ok = False
        if not ok:
            missing.append(name)
    return missing


def cmd_wait_ready(args) -> int:
    config = _config(args)
    deadline = time.monotonic() + args.timeout
    while True:
        missing = missing_consumers(config)
        if not missing:
            print("all services ready")
            return 0
        if time.monotonic() > deadline:
            print(f"not ready after {args.timeout}s: {', '.join(missing)}", file=sys.stderr)
            return 1
        time.sleep(0.5)


def cmd_demo_load(args) -> int:
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

    from procedura_cli.demo import bring_into_force, load_procedures, organisation

    org = organisation()
    with ClusterRpcProxy(_config(args), timeout=60) as rpc:
        counts = rpc.documents.load_organisation(org)
        print(f"organisation: {counts['departments']} departments, {counts['users']} staff")
        if counts.get("users_left_to_the_directory"):
            # people come from the directory (auth.backend: ldap): on distribution lists
            # before their first login
            from procedura_cli.directory_cli import print_report
            print_report(rpc.documents.sync_directory(None))
    loaded = load_procedures(args.gateway, org)
    for item in loaded:
        print(f"{item['code']}: document {item['document_id']}, version {item['version_id']}")
    if not args.drafts:
        for code, status in bring_into_force(args.gateway, org, loaded).items():
            print(f"{code}: {status}")
    return 0


def cmd_health(args) -> int:
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

    if args.local:   # this pod's own answer (Kubernetes probes)
        from services.common.health import beacon_path, read_beacon
        from services.common.settings import Settings

        settings = Settings.from_config(_config(args))
        ok, why = read_beacon(beacon_path(settings.health_dir, args.service), args.max_age)
        print(why, file=sys.stdout if ok else sys.stderr)
        return 0 if ok else 1
    try:
        with ClusterRpcProxy(_config(args), timeout=args.timeout) as rpc:
            print(json.dumps(getattr(rpc, args.service).health()))
        return 0
    except Exception as exc:  # the probe's whole job is to say no, and why
        print(f"{args.service}: not healthy: {exc}", file=sys.stderr)
        return 1


def cmd_schemas(args) -> int:
    """docs/events: JSON Schemas, asyncapi.yaml and the published baselines
    (procedura_cli/contract.py); a breaking change to a published event fails."""
    from procedura_cli.contract import write_or_check

    problems = write_or_check(SCHEMAS, args.check)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)  # one line per request
    parser = argparse.ArgumentParser(prog="procedura", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=str(DEFAULT_CONFIG))
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate").set_defaults(func=cmd_migrate)
    ready = sub.add_parser("wait-ready")
    ready.add_argument("--timeout", type=float, default=60)
    ready.set_defaults(func=cmd_wait_ready)
    demo = sub.add_parser("demo")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True)
    load = demo_sub.add_parser("load")
    load.add_argument("--gateway", default="http://127.0.0.1:8080")
    load.add_argument("--drafts", action="store_true",
                      help="leave the procedures as drafts instead of taking them through "
                           "the signing chain with the demo roles")
    load.set_defaults(func=cmd_demo_load)
    health = sub.add_parser("health")
    health.add_argument("service", choices=[n for n in READY_QUEUES if n != "gateway"])
    health.add_argument("--timeout", type=float, default=10)
    health.add_argument("--local", action="store_true",
                        help="read this process's own health beacon instead of asking "
                             "any replica over RPC (for Kubernetes probes)")
    health.add_argument("--max-age", type=float, default=30,
                        help="with --local: the oldest beacon still taken as alive (s)")
    health.set_defaults(func=cmd_health)
    schemas = sub.add_parser("schemas")
    schemas.add_argument("--check", action="store_true")
    schemas.set_defaults(func=cmd_schemas)
    argv = sys.argv[1:] if argv is None else argv
    for module in _command_modules(argv):
        importlib.import_module(f"procedura_cli.{module}").register(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
