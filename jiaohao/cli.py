"""Entry point of the `jiaohao` command."""
from __future__ import annotations

import argparse
import json
import logging
import sys

from config import ConfigError

from . import __version__
from .commands import register_all
from .context import CommandError, Context


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="jiaohao",
        description="叫号 — queue controller of a government service hall.",
    )
    p.add_argument("--config", metavar="PATH",
                   help="hall TOML file (default: $JIAOHAO_CONFIG, else the shipped demo hall)")
    p.add_argument("--db", metavar="PATH",
                   help="queue database (default: $JIAOHAO_DB, else hall.sqlite in the user data directory)")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more logging on stderr")
    p.add_argument("--version", action="version", version=f"jiaohao {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    register_all(sub)
    return p


def emit(args, obj: dict, text: str) -> None:
    """Print one JSON object with --json, else the human text."""
    if getattr(args, "json", False):
        print(json.dumps(obj, ensure_ascii=False, default=str))
    else:
        print(text)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    ctx = Context(args.config, args.db)
    try:
        return int(args.func(ctx, args) or 0)
    except ConfigError as e:
        print(f"jiaohao: config error: {e}", file=sys.stderr)
        return 2
    except CommandError as e:
        print(f"jiaohao: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # noqa: BLE001 - HallError and friends: one line, no traceback
        from hall.dbfile import explain_sqlite
        from hall.errors import HallError
        e = explain_sqlite(e, ctx.db_path)  # an SQLite error: the database's problem in words
        if isinstance(e, HallError):
            ctx.discard_new_hall()
            print(f"jiaohao: {e}", file=sys.stderr)
            return 2
        raise
