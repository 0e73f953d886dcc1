"""`procedura events dead-letters list|replay|drop` (docs/events/README.md, "Dead letters").

Hooked into procedura_cli/main.py with `events_cli.register(sub)`.
"""
from __future__ import annotations

import argparse
import json
import sys


def _connection(args):
    from services.common.messaging import confirmed_connection
    from procedura_cli.localenv import operator_config

    return confirmed_connection(operator_config(args.config)["AMQP_URI"])


def _queue_type(args) -> str:
    """classic or quorum: the dead-letter queue is declared as the services declare it."""
    from procedura_cli.localenv import operator_config
    from services.common.settings import Settings

    return Settings.from_config(operator_config(args.config)).delivery.queue_type


def cmd_list(args) -> int:
    from services.common.messaging import list_dead_letters

    with _connection(args) as conn:
        letters = list_dead_letters(conn, queue_type=_queue_type(args))
    if args.json:
        print(json.dumps([letter.summary() for letter in letters], ensure_ascii=False,
                         indent=2))
        return 0
    for letter in letters:
        print(f"{letter.id}  {letter.dead_lettered_at[:19]}  {letter.kind:7}  "
              f"{letter.service}  {letter.event_type or '-'}  {letter.event_id or '-'}  "
              f"attempts={letter.attempts}\n    queue {letter.queue}\n    {letter.reason}")
    print(f"{len(letters)} dead letters", file=sys.stderr)
    return 0


def cmd_replay(args) -> int:
    from services.common.messaging import replay_dead_letters

    if not args.all and not args.ids:
        print("name the dead letters to replay (IDs from `procedura events dead-letters "
              "list`) or give --all", file=sys.stderr)
        return 2
    with _connection(args) as conn:
        outcome = replay_dead_letters(conn, None if args.all else args.ids,
                                      queue_type=_queue_type(args))
    for letter in outcome.replayed:
        print(f"replayed {letter.id} ({letter.event_type or '-'} {letter.event_id or '-'}) "
              f"to {letter.queue}")
    for letter, why in outcome.skipped:
        print(f"skipped  {letter.id}: {why}", file=sys.stderr)
    found = {letter.id for letter in outcome.replayed} | {l.id for l, _ in outcome.skipped}
    missing = [] if args.all else [i for i in args.ids if i not in found]
    for letter_id in missing:
        print(f"no dead letter {letter_id}", file=sys.stderr)
    print(f"{len(outcome.replayed)} replayed, {len(outcome.skipped)} skipped", file=sys.stderr)
    return 1 if missing or (outcome.skipped and not args.all) else 0


def cmd_drop(args) -> int:
    from services.common.messaging import drop_dead_letters

    if not args.garbage and not args.ids:
        print("name the dead letters to drop or give --garbage", file=sys.stderr)
        return 2
    with _connection(args) as conn:
        dropped = drop_dead_letters(conn, args.ids or None, garbage=args.garbage,
                                    queue_type=_queue_type(args))
    for letter in dropped:
        print(f"dropped {letter.id} ({letter.kind}, {letter.queue})")
    missing = [i for i in args.ids if i not in {letter.id for letter in dropped}]
    for letter_id in missing:
        print(f"no dead letter {letter_id}", file=sys.stderr)
    print(f"{len(dropped)} dropped", file=sys.stderr)
    return 1 if missing else 0


def register(sub) -> None:
    events = sub.add_parser("events", help="Procedura's event delivery")
    events_sub = events.add_subparsers(dest="events_command", required=True)
    letters = events_sub.add_parser(
        "dead-letters", help="messages no service could handle (procedura.dead-letters)")
    letters_sub = letters.add_subparsers(dest="dead_letters_command", required=True)
    listing = letters_sub.add_parser("list", help="list the dead letters, oldest first")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)
    replay = letters_sub.add_parser(
        "replay", help="send dead letters back to the queue they came from, "
                       "with a fresh attempt count (garbage is never replayed)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    replay.add_argument("ids", nargs="*", metavar="ID")
    replay.add_argument("--all", action="store_true")
    replay.set_defaults(func=cmd_replay)
    drop = letters_sub.add_parser("drop", help="discard dead letters for good")
    drop.add_argument("ids", nargs="*", metavar="ID")
    drop.add_argument("--garbage", action="store_true", help="every garbage one")
    drop.set_defaults(func=cmd_drop)
