"""`jiaohao backup [--to PATH]`, `jiaohao backup list`, `jiaohao restore PATH`; and the
scheduled backup component of `jiaohao serve`."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..cli import emit
from ..context import CommandError


def register(sub) -> None:
    p = sub.add_parser("backup", help="back up the queue database now (online: the hall keeps working)",
                       usage="jiaohao backup [-h] [--to PATH] [--json]\n       jiaohao backup list [--check] [--json]",
                       description="立即备份排队数据库 (back up the queue database now, online: the hall keeps "
                                   "working). `jiaohao backup list` shows the backups; docs/backup.md.")
    p.add_argument("--to", metavar="PATH", help="a new file, or a folder to put it in "
                                                "(default: the [backup] folder, old copies rotated)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=backup)
    s = p.add_subparsers(dest="backup_command", metavar="ACTION", prog="jiaohao backup")
    a = s.add_parser("list", help="the backups in the [backup] folder, newest first")
    a.add_argument("--check", action="store_true", help="run SQLite's integrity check on each (slow)")
    a.add_argument("--json", action="store_true", help="one JSON object on stdout")
    a.set_defaults(func=list_cmd)

    r = sub.add_parser("restore", help="replace the queue database by a backup (the current one is kept aside)")
    r.add_argument("path", help="the backup file (see `jiaohao backup list`)")
    r.add_argument("--other-hall", action="store_true", help="allow a backup of another hall (moving halls)")
    r.add_argument("--json", action="store_true", help="one JSON object on stdout")
    r.set_defaults(func=restore)


def components(ctx) -> list:
    """For `jiaohao serve`: the scheduled backups of the database it serves."""
    from hall.backup_schedule import BackupSchedule
    if ctx.config.backup.interval_minutes <= 0:
        return []
    return [BackupSchedule(ctx.db_path, ctx.config.backup)]


def _folder(ctx) -> tuple[Path, bool]:
    from hall.backup_folder import default_folder
    return default_folder(ctx.db_path, ctx.config.backup.folder), not ctx.config.backup.folder


def backup(ctx, args) -> int:
    from hall.backup import backup_into, make_backup
    from hall.backup_folder import BackupError, ensure_folder
    cfg = ctx.config.backup
    try:
        if args.to:
            dest = Path(args.to).expanduser()
            if dest.is_dir():
                result, removed = backup_into(ctx.db_path, dest)
            else:
                if not dest.parent.is_dir():
                    raise CommandError(f"文件夹 {dest.parent} 不存在 (folder {dest.parent} does not exist, for --to {args.to})")
                result, removed = make_backup(ctx.db_path, dest), []
        else:
            folder, default = _folder(ctx)
            ensure_folder(folder, default)
            result, removed = backup_into(ctx.db_path, folder, cfg.keep, cfg.keep_daily)
    except BackupError as e:
        raise CommandError(str(e)) from None
    except OSError as e:  # the backup folder's disk read-only or gone (a traceback before)
        raise CommandError(f"写不了备份 (cannot write the backup): {e.strerror or e}"
                           + (f" ({e.filename})" if e.filename else "")) from None
    emit(args, {"path": str(result.path), "bytes": result.size, "read_seconds": round(result.copy_s, 2),
                "check_seconds": round(result.check_s, 2), "removed": [str(p) for p in removed]},
         f"已备份 (backed up) {ctx.db_path} → {result.path} ({result.size / 2**20:,.1f} MiB, "
         f"{result.copy_s:.1f} s, 已检查 checked)"
         + (f"；删除了 {len(removed)} 个旧备份 ({len(removed)} old backup(s) removed)" if removed else ""))
    return 0


def list_cmd(ctx, args) -> int:
    from hall.backup_check import check_backup
    from hall.backup_folder import list_backups
    from hall.backup_schedule import ago, in_words
    folder, _ = _folder(ctx)
    now = datetime.now()
    rows = []
    for b in list_backups(folder, ctx.db_path.stem):
        seconds = max(0.0, (now - b.taken_at).total_seconds())
        row = {"path": str(b.path), "taken_at": b.taken_at.isoformat(timespec="seconds"), "bytes": b.size,
               "age": in_words(seconds), "ago": ago(seconds)}
        if args.check:
            c = check_backup(b.path, "full")
            row.update(ok=c.ok, problem=c.problem, tickets=c.tickets, hall=c.hall_name)
        rows.append(row)
    lines = [f"备份文件夹 (backup folder): {folder}"]
    for r in rows:
        state = "" if "ok" not in r else ("  完好 OK" if r["ok"] else f"  已损坏 DAMAGED: {r['problem']}")
        lines.append(f"  {r['taken_at'].replace('T', ' ')}  {r['bytes'] / 2**20:9,.1f} MiB  "
                     f"{Path(r['path']).name}  {r['ago']}{state}")
    if not rows:
        lines.append("  还没有备份：`jiaohao backup` 现在备份一次，`jiaohao serve` 按计划定时备份 "
                     "(no backups yet: `jiaohao backup` takes one; `jiaohao serve` takes them on schedule)")
    emit(args, {"folder": str(folder), "backups": rows}, "\n".join(lines))
    return 0 if all(r.get("ok", True) for r in rows) else 1


def restore(ctx, args) -> int:
    from hall.backup_folder import BackupError
    from hall.backup_restore import restore as do_restore
    path = Path(args.path).expanduser()
    if not path.exists():
        folder, _ = _folder(ctx)
        if (folder / path).exists():  # a name as `backup list` shows it
            path = folder / path
    try:
        result = do_restore(path, ctx.db_path, allow_other_hall=args.other_hall,
                            expect_hall_name=ctx.config.hall.name)
    except BackupError as e:
        raise CommandError(str(e)) from None
    c = result.check
    emit(args, {"restored_from": str(result.restored_from), "database": str(result.database),
                "kept_aside": [str(p) for p in result.kept_aside], "tickets": c.tickets, "day": c.last_day},
         f"已恢复 (restored) {result.database} from {result.restored_from} "
         f"（完整性良好，{c.tickets:,} 张票，营业日 {c.last_day or '?'}） "
         f"(integrity OK, {c.tickets:,} tickets, business day {c.last_day or '?'})\n"
         + (f"原数据库已保留 (the previous database is kept as): {', '.join(map(str, result.kept_aside))}\n"
            if result.kept_aside else "")
         + "请重新启动 jiaohao serve、取号机和大屏 (now start jiaohao serve, the kiosks and the screens again)")
    return 0
