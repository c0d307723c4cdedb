"""What every subcommand needs: the hall config and the queue database, opened lazily."""
from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from platformdirs import user_data_dir

from config import DEMO_HALL, HallConfig, load_hall


class CommandError(Exception):
    """A user error on the command line: printed as one line, exit status 2."""


def default_db_path() -> Path:
    env = os.environ.get("JIAOHAO_DB")
    if env:
        return Path(env)
    return Path(user_data_dir("jiaohao")) / "hall.sqlite"


class Context:
    """Global options resolved: config path, database path, clock."""

    def __init__(self, config: str | None = None, db: str | None = None):
        self.config_path = Path(config or os.environ.get("JIAOHAO_CONFIG") or DEMO_HALL)
        self.db_path = Path(db) if db else default_db_path()

    @cached_property
    def config(self) -> HallConfig:
        return load_hall(self.config_path)

    def clock(self):
        """The hall clock: JIAOHAO_NOW=2026-11-23T09:00 freezes it (training, scripts, tests)."""
        from hall.clock import clock_from_env
        return clock_from_env(self.config.hall.timezone)

    @cached_property
    def queue(self):
        from hall import HallQueue
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        return HallQueue(self.db_path, self.config, clock=self.clock())
