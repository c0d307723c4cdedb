"""Entry point of the `jiaohao` command."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from .commands import register_all
from .commands.inputs import Parser, printable


def _global_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="PATH",
                   help="hall TOML file (default: $JIAOHAO_CONFIG, else the shipped demo hall)")
    p.add_argument("--db", metavar="PATH",
                   help="queue database (default: $JIAOHAO_DB, else hall.sqlite in the user data directory)")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more logging on stderr")
    p.add_argument("--version", action=_VersionAction, help="print the program's version and exit")


class _VersionAction(argparse.Action):
    """``--version``: imported only when asked, so every other start pays nothing for it."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from hall.db import known_migrations
        from hall.versions import VERSION
        print(f"jiaohao {VERSION} (database schema {known_migrations()[-1]})")
        parser.exit()


def chosen_command(argv: list[str]) -> str | None:
    """The subcommand named in ``argv`` (after the global options), without importing any."""
    pre = _QuietParser(add_help=False)
    _global_options(pre)
    pre.add_argument("command", nargs="?")
    try:
        args, _ = pre.parse_known_args(argv)
    except ValueError:  # a bad global option: the full parser says what is wrong
        return None
    return args.command


class _QuietParser(argparse.ArgumentParser):
    def error(self, message: str):
        raise ValueError(message)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; given ``argv``, only the subcommand it names is built in full."""
    p = Parser(
        prog="jiaohao",
        description="叫号 — queue controller of a government service hall.",
    )
    _global_options(p)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    register_all(sub, only=None if argv is None else (chosen_command(argv) or ""))
    return p


def emit(args, obj: dict, text: str) -> None:
    """Print one JSON object with --json, else the human text (stored words a person typed,
    a reason or a name, shown with control characters escaped)."""
    if getattr(args, "json", False):
        print(json.dumps(obj, ensure_ascii=False, default=str))
    else:
        print(printable(text))


def _user_error(e: BaseException) -> str | None:
    """The one line to print for an error the user can fix, or None for a bug."""
    from hall.errors import DatabaseProblem, HallError

    from .context import CommandError
    if isinstance(e, HallError):  # the hall's refusals in Chinese, then in English
        zh = getattr(e, "zh", "")  # (a database problem's line is the technician's: file, what, fix)
        return f"{zh} ({e})" if zh and zh != str(e) and not isinstance(e, DatabaseProblem) else str(e)
    if isinstance(e, CommandError):
        return str(e)
    if "config" in sys.modules:  # a ConfigError can only come from a loaded config package
        from config import ConfigError
        if isinstance(e, ConfigError):
            return f"配置错误 (config error): {e}"
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    from .context import Context
    ctx = None
    try:
        ctx = Context(args.config, args.db, config_view=getattr(args, "config_view", False),
                      server=getattr(args, "server", None), token_file=getattr(args, "token_file", None),
                      remote_ok=getattr(args, "remote_ok", False))
        return int(args.func(ctx, args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _closed_output()
    except Exception as e:  # noqa: BLE001 - user errors: one line, no traceback
        if ctx is not None:
            from hall.dbfile import explain_sqlite
            e = explain_sqlite(e, ctx.db_path)  # an SQLite error: the database's problem in words
        line = _user_error(e)
        if line is None:
            raise
        if ctx is not None:
            ctx.discard_new_hall()
        print(printable(f"jiaohao: {line}"), file=sys.stderr)  # it may repeat what was typed
        return EXIT_TRY_LATER if _try_later(e) else 2
    finally:
        if ctx is not None:
            ctx.close()


EXIT_TRY_LATER = 75  # EX_TEMPFAIL: the hall server or the city did not answer; a systemd unit restarts on it


def _try_later(e: BaseException) -> bool:
    from .context import TryLater
    if isinstance(e, TryLater):
        return True
    if "hall.errors" not in sys.modules:
        return False
    from hall.errors import ServerUnreachable
    return isinstance(e, ServerUnreachable)


def _closed_output() -> int:
    """Whoever read our output has gone (``jiaohao report | head``): stop quietly, as
    other Unix tools do, with the status of a process ended by SIGPIPE."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the final flush at exit must not fail again
    except OSError:
        pass
    return 141
