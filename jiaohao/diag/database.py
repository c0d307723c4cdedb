"""`diag check` for the queue database: where it is, who may write it (folder 2770
setgid, files 0660, one group), whose hall it is, and whether SQLite finds it whole."""
from __future__ import annotations

import grp
import os
import pwd
import stat
from pathlib import Path

from . import CheckResult

SHARED_FIX = "sudo chgrp {group} {files} && sudo chmod 0660 {files}"


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _files(path: Path) -> list[Path]:
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def sharing(path: Path) -> CheckResult:
    """Folder and file modes: can every member of the folder's group write all three files?"""
    device = f"database sharing {path.parent}"
    folder = path.parent
    fst = folder.stat()
    me = _user(os.geteuid())
    if not fst.st_mode & stat.S_IWGRP:
        if not os.access(folder, os.W_OK | os.X_OK) and not os.access(path, os.W_OK):
            return CheckResult(device, False, f"用户 {me} 不能写入数据库或其文件夹 (user {me} cannot write the folder or the database)",
                               f"用拥有 {folder} 的用户运行 jiaohao，或按 README「安装」建共享文件夹 (run jiaohao as the user that owns {folder}, "
                               "or install the shared folder: README, installing: /var/lib/jiaohao mode 2770 group jiaohao)")
        return CheckResult(device, True, f"{_user(fst.st_uid)} 的私有文件夹，只有该用户在本机运行 jiaohao (private folder of {_user(fst.st_uid)}, "
                                         f"mode {stat.S_IMODE(fst.st_mode):o}: only that user runs jiaohao here)")
    group = _group(fst.st_gid)
    problems, fixes = [], []
    if not fst.st_mode & stat.S_ISGID:
        problems.append(f"文件夹权限 {stat.S_IMODE(fst.st_mode):04o} 缺 setgid，一个用户生成的 -wal/-shm 文件会把其他用户锁在外面 "
                        f"(the folder is mode {stat.S_IMODE(fst.st_mode):04o} without setgid, so a -wal/-shm "
                        "made by one user gets that user's group and locks the others out)")
        fixes.append(f"sudo chmod 2770 {folder}")
    wrong = []
    for f in _files(path):
        st = f.stat()
        bad, bad_zh = [], []
        if st.st_gid != fst.st_gid:
            bad.append(f"group {_group(st.st_gid)}")
            bad_zh.append(f"属组 {_group(st.st_gid)}")
        if st.st_mode & 0o060 != 0o060:
            bad.append(f"mode {stat.S_IMODE(st.st_mode):04o}")
            bad_zh.append(f"权限 {stat.S_IMODE(st.st_mode):04o}")
        if bad:
            wrong.append(f)
            problems.append(f"{f.name}（属主 {_user(st.st_uid)}）{'、'.join(bad_zh)} 不对，{group} 组的其他成员不能写入 "
                            f"({f.name}, owner {_user(st.st_uid)}, has {' and '.join(bad)}: "
                            f"other members of {group} cannot write it)")
    if wrong:
        fixes.append(SHARED_FIX.format(group=group, files=" ".join(str(f) for f in wrong)))
    if not all(os.access(f, os.R_OK | os.W_OK) for f in _files(path)) or not os.access(folder, os.W_OK | os.X_OK):
        problems.append(f"用户 {me} 不能在这里写入（{me} 在 {group} 组里吗？加入后要注销再登录） "
                        f"(user {me} cannot write here: is {me} in group {group}? log out and in after adding)")
        fixes.append(f"sudo usermod -aG {group} {me}")
    if problems:
        return CheckResult(device, False, "; ".join(problems), "；然后 then ".join(fixes))
    return CheckResult(device, True, f"与 {group} 组共享，用户 {me} 可写入 (shared with group {group}: folder "
                                     f"{stat.S_IMODE(fst.st_mode):04o}, {len(_files(path))} file(s) 0660, user {me} can write)")


def contents(path: Path, hall_name: str) -> list[CheckResult]:
    """Identity and SQLite's quick_check, on a read-only connection."""
    from hall.db import connect_readonly, hall_identity, quick_check
    from hall.errors import DatabaseProblem
    device = f"database {path}"
    try:
        conn = connect_readonly(str(path))
    except DatabaseProblem as e:
        return [CheckResult(device, False, e.what, e.fix)]
    try:
        ident = hall_identity(conn)
        tickets = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
        size = path.stat().st_size / 1e6
        name = ident.get("hall_name")
        detail = (f"大厅 {name or '?'}，{tickets} 张票，{size:.1f} MB (hall {name or '?'}, id "
                  f"{ident.get('hall_id', 'none yet')[:8]}, {tickets} tickets, {size:.1f} MB)")
        if name and name != hall_name:
            detail += (f"；注意：这是大厅 {name!r} 的数据库，配置写的是 {hall_name!r} "
                       f"(note: made for hall {name!r}, the config says {hall_name!r})")
        out = [CheckResult(device, True, detail)]
        try:
            quick_check(conn, str(path))
            out.append(CheckResult(f"database integrity {path.name}", True, "完好 (SQLite's quick check: ok)"))
            from hall.damaged_rows import find
            damaged = find(conn)
            if damaged:  # rows quick_check passes over but no page can read
                # the newer tables' lists skip such a row; a damaged ticket is not skipped everywhere
                skipped = "" if any(d.table == "tickets" for d in damaged) else "，列表中已跳过 (skipped where listed)"
                n = f"{len(damaged)}{'+' if len(damaged) >= 20 else ''}"
                out.append(CheckResult(f"database rows {path.name}", False,
                                       f"{n} 行记录损坏 ({n} damaged row(s)){skipped}: "
                                       + "; ".join(map(str, damaged[:5])),
                                       "恢复最近一次完好的备份 (restore the last good backup): "
                                       "jiaohao backup list, jiaohao restore FILE"))
        except DatabaseProblem as e:
            out.append(CheckResult(f"database integrity {path.name}", False, e.what, e.fix))
        return out
    except Exception as e:  # noqa: BLE001 - a damaged file can fail anywhere: that is the finding
        from hall.dbfile import explain
        p = explain(e, path)
        return [CheckResult(device, False, p.what if p else str(e), p.fix if p else "请报告给供应商 (report this to the supplier)")]
    finally:
        conn.close()


def check(ctx) -> list[CheckResult]:
    path = Path(ctx.db_path)
    device = f"database {path}"
    if not path.parent.is_dir() and not ctx.db_given:  # the built-in place: made with the database
        return [CheckResult(device, True, f"还没有建立：第一次运行 jiaohao serve（或取第一张票）时自动建立，连同文件夹 {path.parent} "
                                          f"(not made yet: the first `jiaohao serve` or ticket makes it, and its folder)")]
    if not path.parent.is_dir():
        return [CheckResult(device, False, f"文件夹 {path.parent} 不存在 (the folder does not exist)",
                            "检查 JIAOHAO_DB 或 --db；按 README「安装」建好文件夹 (check JIAOHAO_DB / --db; install the folder: README, installing)")]
    out = []
    if path.exists():
        out.append(sharing(path))
        out.extend(contents(path, ctx.config.hall.name))
    else:
        out.append(CheckResult(device, True, "还没有建立：第一次运行 jiaohao serve（或取第一张票）时自动建立 "
                                       "(not made yet: the first `jiaohao serve` or ticket makes it)"))
        share = sharing(path)
        if not share.ok:
            out.append(share)
    return out
