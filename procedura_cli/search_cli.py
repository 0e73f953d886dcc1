"""`procedura search reindex` and `procedura search verify` (docs/search.md).

Hooked into procedura_cli/main.py with `search_cli.register(sub)`.
"""
from __future__ import annotations

import argparse
import sys


def _open(args):
    """The search index and an RPC source of truth (nameko standalone proxy)."""
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

    from procedura_cli.localenv import operator_config
    from services.common.settings import Settings
    from services.search.adapters.index import VersionIndex
    from services.search.rebuild import RpcSource

    config = operator_config(args.config)
    settings = Settings.from_config(config)
    proxy = ClusterRpcProxy(config, timeout=args.timeout)
    rpc = proxy.start()
    index = VersionIndex(settings.elasticsearch_url, settings.search_index,
                         settings.search_shards, settings.search_replicas)
    return proxy, index, RpcSource(rpc.documents, rpc.versioning)


def _bar(done: int, total: int) -> None:
    width = 40
    filled = width * done // max(total, 1)
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} versions",
          end="" if done < total else "\n", file=sys.stderr, flush=True)


def _print_report(report) -> None:
    for vid in report.missing:
        print(f"missing  {vid}")
    for vid, fields in report.stale.items():
        print(f"stale    {vid}  ({', '.join(fields)})")
    for vid in report.orphan:
        print(f"orphan   {vid}")


def cmd_reindex(args) -> int:
    """Build `<alias>-v<N>` from the source of truth and swap the alias to it."""
    from services.search.rebuild import reindex

    proxy, index, source = _open(args)
    try:
        name, count, report = reindex(index, source, batch=args.batch, progress=_bar,
                                      keep_old=args.keep_old)
    finally:
        proxy.stop()
    print(f"{index.alias} -> {name}: {count} versions")
    if not report.clean:
        print("changed during the rebuild, re-applied:")
        _print_report(report)
    return 0


def cmd_verify(args) -> int:
    """List missing, stale and orphan entries; exit 1 when there is any."""
    from services.search.rebuild import verify

    proxy, index, source = _open(args)
    try:
        report = verify(index, source)
    finally:
        proxy.stop()
    _print_report(report)
    print("index matches the source of truth" if report.clean else
          f"{len(report.missing)} missing, {len(report.stale)} stale, "
          f"{len(report.orphan)} orphan", file=sys.stderr)
    return 0 if report.clean else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `search reindex` and `search verify` to the `procedura` command."""
    search = subparsers.add_parser("search", help="rebuild or check the search index")
    commands = search.add_subparsers(dest="search_command", required=True)
    for name, func, help_ in (("reindex", cmd_reindex, cmd_reindex.__doc__),
                              ("verify", cmd_verify, cmd_verify.__doc__)):
        command = commands.add_parser(name, help=help_)
        command.add_argument("--timeout", type=float, default=60)
        if name == "reindex":
            command.add_argument("--batch", type=int, default=200)
            command.add_argument("--keep-old", action="store_true",
                                 help="keep the previous index (not deleted after the swap)")
        command.set_defaults(func=func)
