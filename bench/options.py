"""The knobs of a benchmark: whole numbers given on the command line, each with the value
the benchmark's docstring measures by default."""
from __future__ import annotations

import argparse


def int_options(doc: str, **defaults: int) -> argparse.Namespace:
    """The command line parsed: `pages_per_scan=10` is `--pages-per-scan N`, 10 unless
    given; the first line of `doc` is the description `--help` shows."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for name, default in defaults.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    return parser.parse_args()
