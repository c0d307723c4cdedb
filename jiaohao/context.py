"""What every subcommand needs: the hall config and the hall, opened lazily.

The one place that chooses how this PC reaches the hall (:attr:`Context.hall`): the
hall server given by ``--server``, else ``$JIAOHAO_SERVER``, else ``[client] server`` of
the hall file; with none of them, the queue database on this PC. Only commands that can
work as clients (kiosk, caller, screen, diag check, queue) ask: their parser sets
``remote_ok``.
"""
from __future__ import annotations

import atexit
import os
import sys
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from platformdirs import user_cache_dir, user_data_dir

from config import DEMO_HALL, load_hall, load_hall_view

if TYPE_CHECKING:
    from config import HallConfig
    from config.views import HallView


class CommandError(Exception):
    """A user error on the command line: printed as one line, exit status 2."""


class TryLater(CommandError):
    """Something beyond this PC did not answer (the city database): one line, exit status 75."""


def default_db_path() -> Path:
    env = os.environ.get("JIAOHAO_DB")
    if env:
        return Path(env)
    return Path(user_data_dir("jiaohao")) / "hall.sqlite"


def hall_cache_dir() -> Path:
    """Where validated halls are kept for fast starts (config/cache.py); safe to delete."""
    return Path(user_cache_dir("jiaohao", appauthor=False)) / "halls"


class Context:
    """Global options resolved: config path, database path, hall server and token, clock."""

    def __init__(self, config: str | None = None, db: str | None = None, config_view: bool = False,
                 server: str | None = None, token_file: str | None = None, remote_ok: bool = False):
        self.config_view = config_view
        self.config_given = bool(config or os.environ.get("JIAOHAO_CONFIG"))
        self.config_path = Path(config or os.environ.get("JIAOHAO_CONFIG") or DEMO_HALL)
        self.server_flag = server
        self.token_file = token_file
        self.remote_ok = remote_ok or server is not None
        # a path the user gave is used as given: its folder is never created (a typing
        # mistake must not become a new, empty hall); only the built-in default is ours
        self.db_given = bool(db or os.environ.get("JIAOHAO_DB"))
        self.db_path = Path(db) if db else default_db_path()

    @cached_property
    def config(self) -> HallConfig | HallView:
        """The validated hall. A command that only reads it sets ``config_view`` (its parser's
        default) and gets the read-only copy kept in the user's cache (config/cache.py): the
        same attributes and methods, without importing pydantic.

        With a hall server and no ``--config``: the server's hall (one configuration for
        the whole LAN). With both: the local file, which must describe the same services
        and windows as the server's."""
        if self.server and not self.config_given:
            return self.server_config
        local = self._local_config()
        if self.server:
            from .client_setup import compare
            from hall.errors import ServerUnreachable
            try:
                remote = self.server_config
            except ServerUnreachable as e:
                from .commands.inputs import printable
                print(printable(f"jiaohao: 注意：连不上服务器，先用本机配置 {self.config_path} 启动 "
                                f"(notice: {e}; starting with {self.config_path})"), file=sys.stderr)
                return local
            compare(local, remote, self.config_path, self.server)
        return local

    def _local_config(self):
        if "_local" not in self.__dict__:
            self.__dict__["_local"] = (load_hall_view(self.config_path, hall_cache_dir()) if self.config_view
                                       else load_hall(self.config_path))
        return self.__dict__["_local"]

    # -- a hall server on the LAN ------------------------------------------------------------
    @cached_property
    def server(self) -> str | None:
        """The hall server's address, or None: this PC opens the queue database itself."""
        if not self.remote_ok:
            return None
        from .client_setup import check_url
        if self.server_flag:
            return check_url(self.server_flag, "--server")
        env = os.environ.get("JIAOHAO_SERVER", "").strip()
        if env:
            return check_url(env, "JIAOHAO_SERVER")
        if self.config_given:
            url = self._local_config().client.server
            if url:
                return check_url(url, f"[client] server in {self.config_path}")
        return None

    def _client_section(self):
        return self._local_config().client if self.config_given else None

    @cached_property
    def token(self) -> str | None:
        """This PC's credential for the hall server (see jiaohao.client_setup.find_token)."""
        from .client_setup import find_token
        section = self._client_section()
        return find_token(self.token_file, section.token_file if section else "")[0]

    @property
    def timeout_s(self) -> float:
        """``[client] timeout_s`` of this PC's hall file, else of the server's (once read)."""
        section = self._client_section()
        if section is None and "server_config" in self.__dict__:
            section = self.__dict__["server_config"].client
        return section.timeout_s if section else 3.0

    @cached_property
    def server_config(self):
        from .client_setup import server_config
        return server_config(self.server, self.token, self.timeout_s)

    @cached_property
    def hall(self):
        """The hall this command works on (hall.port.Hall): a RemoteHall on the hall server,
        else the queue database on this PC (:attr:`queue`)."""
        if not self.server:
            return self.queue
        from hall.remote import RemoteHall
        return RemoteHall(self.server, self.token, self.config, timeout_s=self.timeout_s, clock=self.clock())

    def guide_source(self):
        """Where this PC reads the service guide (办事指南): the hall server's, else the
        files beside the hall file (both have ``current() -> config.guide.Guide``)."""
        if self.server:
            from hall.remote_guide import RemoteGuide
            return RemoteGuide(self.hall)
        from config.guide import GuideFiles, guide_folder
        return GuideFiles(guide_folder(self.config_path, self.config.guide.folder), self.config)

    def clock(self):
        """The hall clock: JIAOHAO_NOW=2026-11-23T09:00 freezes it (training, scripts, tests)."""
        from hall.clock import clock_from_env
        return clock_from_env(self.config.hall.timezone)

    @cached_property
    def queue(self):
        return self.open_queue()

    def open_queue(self, quick_check: bool = False):
        """The queue for reading and writing (cached as :attr:`queue`).

        A missing database in an existing folder becomes a new hall, said on stderr: at once
        for a long-running program (``quick_check``), else when the command has succeeded (a
        command that fails leaves no new, empty hall behind: :meth:`discard_new_hall`).
        ``quick_check`` also refuses a damaged database at start instead of failing in the
        middle of the day."""
        if "queue" in self.__dict__:
            return self.__dict__["queue"]
        from hall import HallQueue
        from hall.db import connect, quick_check as check
        config, clock = self.config, self.clock()
        if not self.db_given:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
        new = not os.path.lexists(self.db_path) and self.db_path.parent.is_dir()
        if quick_check and not new:
            conn = connect(self.db_path, readonly=True)
            try:
                check(conn, str(self.db_path))
            finally:
                conn.close()
        q = HallQueue(self.db_path, config, clock=clock)
        self.__dict__["queue"] = q
        if new:
            self._new_hall = os.stat(self.db_path).st_ino
            if quick_check:
                self._say_new_hall()
            else:
                atexit.register(self._say_new_hall)
        return q

    _new_hall: int | None = None

    def _say_new_hall(self) -> None:
        if self._new_hall is not None and self.db_path.exists():  # (the demo removes its own)
            from .commands.inputs import printable
            print(printable(f"jiaohao: 注意：新建了空的排队数据库 (notice: there was no queue database at {self.db_path}: "
                            "made a new, empty hall there)"), file=sys.stderr)
            self._new_hall = None

    def close(self) -> None:
        """Close what the command opened. The last connection to close checkpoints the WAL
        into the database file and removes it, so a reader with no write access (which
        then reads the file as it is) sees every change."""
        closed = set()
        for name in ("hall", "queue", "reader"):
            q = self.__dict__.pop(name, None)
            if q is not None and id(q) not in closed:
                closed.add(id(q))
                try:
                    q.close()
                except Exception:  # noqa: BLE001 - closing after the command's own outcome
                    pass

    def discard_new_hall(self) -> None:
        """The command failed: remove the hall it has just made, if nothing is in it yet."""
        ino, self._new_hall = self._new_hall, None
        q = self.__dict__.get("queue")
        if ino is None or q is None:
            return
        try:
            tickets = q._conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
            q.close()
            del self.__dict__["queue"]
            if tickets == 0 and os.stat(self.db_path).st_ino == ino:
                for f in (self.db_path, Path(f"{self.db_path}-wal"), Path(f"{self.db_path}-shm")):
                    f.unlink(missing_ok=True)
        except Exception:  # noqa: BLE001 - only tidying after the real error, which is said
            pass

    def local_reader(self):
        """The local queue database opened for reading only, for commands that work on
        this PC's file whatever the client settings (bookings, ratings): a clear error when
        there is no database, and closed with the command (as ``reader``)."""
        if "reader" in self.__dict__:
            return self.__dict__["reader"]
        if not self.db_path.exists():
            raise CommandError(f"没有排队数据库 {self.db_path} (no queue database at {self.db_path}: use --db PATH or set JIAOHAO_DB)")
        from hall.readonly import ReadOnlyQueue
        q = ReadOnlyQueue(self.db_path, self.config, clock=self.clock())
        self.__dict__["reader"] = q
        return q

    @cached_property
    def reader(self):
        """The queue opened for reading only (status, reports): works without write access
        and never creates, migrates or changes the database."""
        if self.server:
            return self.hall
        if "queue" in self.__dict__:
            return self.__dict__["queue"]
        from hall.readonly import ReadOnlyQueue
        return ReadOnlyQueue(self.db_path, self.config, clock=self.clock())
