"""`procedura-service`: one of Procedura's services (or several) as a process of its own.

  procedura-service --config config/procedura.yaml services.search.service:SearchService

What `nameko run --config` does (the same configuration with its ${VARIABLE:default}
values, the same logging, the same graceful stop on SIGTERM), started with about a
second less CPU (1.6-2.6 s against 3.0-3.6 a service: docs/benchmarks.md, "a lighter
start for every service"): the process is made green without eventlet's needless work
(procedura_cli/green.py) and nameko's command line (its parsers, pkg_resources) is not
loaded. Every start of a service pays it: `scripts/services.sh up`, each restart, each
pod."""
from __future__ import annotations

from procedura_cli.green import monkey_patch

monkey_patch()  # before anything else imports the standard library's sockets and locks

import argparse  # noqa: E402
import logging  # noqa: E402
import logging.config  # noqa: E402
import sys  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="procedura-service",
        description="Run Procedura services (module:Class) until SIGTERM, as `nameko run`.")
    parser.add_argument("--config", required=True,
                        help="the configuration file (config/procedura.yaml)")
    parser.add_argument("services", nargs="+", metavar="module:Class")
    args = parser.parse_args(argv)

    if "." not in sys.path:   # as nameko run: services importable from the working folder
        sys.path.insert(0, ".")   # (before the first of them is imported, as there)

    from nameko.cli.run import import_service, run
    from nameko.exceptions import CommandError

    from services.common.settings import load_config

    config = load_config(args.config)
    if "LOGGING" in config:
        logging.config.dictConfig(config["LOGGING"])
    else:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    services = []
    for path in args.services:
        try:
            services += import_service(path)
        except (CommandError, ImportError) as exc:
            parser.exit(2, f"procedura-service: cannot load {path}: {exc}\n")
    run(services, config)


if __name__ == "__main__":
    main()
