"""`diag check`: how old the last good backup of the queue database is, in words; a
warning past ``[backup] warn_after_hours`` or when there is none."""
from __future__ import annotations

from . import CheckResult


def check(ctx) -> list[CheckResult]:
    from hall.backup_schedule import backup_age
    age = backup_age(ctx.db_path, ctx.config.backup)
    return [CheckResult("backups", age.ok, age.detail, age.fix)]
