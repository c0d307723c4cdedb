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
            return CheckResult(device, False, f"user {me} cannot write the folder or the database",
                               f"run jiaohao as the user that owns {folder}, or install the shared folder "
                               "(README, installing: /var/lib/jiaohao mode 2770 group jiaohao)")
        return CheckResult(device, True, f"private folder of {_user(fst.st_uid)} (mode {stat.S_IMODE(fst.st_mode):o}): "
                                         "only that user runs jiaohao here")
    group = _group(fst.st_gid)
    problems, fixes = [], []
    if not fst.st_mode & stat.S_ISGID:
        problems.append(f"the folder is mode {stat.S_IMODE(fst.st_mode):04o} without setgid, so a -wal/-shm "
                        "made by one user gets that user's group and locks the others out")
        fixes.append(f"sudo chmod 2770 {folder}")
    wrong = []
    for f in _files(path):
        st = f.stat()
        bad = []
        if st.st_gid != fst.st_gid:
            bad.append(f"group {_group(st.st_gid)}")
        if st.st_mode & 0o060 != 0o060:
            bad.append(f"mode {stat.S_IMODE(st.st_mode):04o}")
        if bad:
            wrong.append(f)
            problems.append(f"{f.name} (owner {_user(st.st_uid)}) has {' and '.join(bad)}: "
                            f"other members of {group} cannot write it")
    if wrong:
        fixes.append(SHARED_FIX.format(group=group, files=" ".join(str(f) for f in wrong)))
    if not all(os.access(f, os.R_OK | os.W_OK) for f in _files(path)) or not os.access(folder, os.W_OK | os.X_OK):
        problems.append(f"user {me} cannot write here (is {me} in group {group}? log out and in after adding)")
        fixes.append(f"sudo usermod -aG {group} {me}")
    if problems:
        return CheckResult(device, False, "; ".join(problems), "; then ".join(fixes))
    return CheckResult(device, True, f"shared with group {group}: folder {stat.S_IMODE(fst.st_mode):04o}, "
                                     f"{len(_files(path))} file(s) 0660, user {me} can write")


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
        detail = (f"hall {name or '?'} (id {ident.get('hall_id', 'none yet')[:8]}), {tickets} tickets, "
                  f"{size:.1f} MB")
        if name and name != hall_name:
            detail += f"; note: made for hall {name!r}, the config says {hall_name!r}"
        out = [CheckResult(device, True, detail)]
        try:
            quick_check(conn, str(path))
            out.append(CheckResult(f"database integrity {path.name}", True, "SQLite's quick check: ok"))
            from hall.damaged_rows import find
            damaged = find(conn)
            if damaged:  # rows quick_check passes over but no page can read
                # the newer tables' lists skip such a row; a damaged ticket is not skipped everywhere
                skipped = "" if any(d.startswith("tickets ") for d in damaged) else ", skipped where they are listed"
                out.append(CheckResult(f"database rows {path.name}", False,
                                       f"{len(damaged)}{'+' if len(damaged) >= 20 else ''} damaged row(s){skipped}: "
                                       + "; ".join(damaged[:5]),
                                       "restore the last good backup (jiaohao backup list, jiaohao restore FILE)"))
        except DatabaseProblem as e:
            out.append(CheckResult(f"database integrity {path.name}", False, e.what, e.fix))
        return out
    except Exception as e:  # noqa: BLE001 - a damaged file can fail anywhere: that is the finding
        from hall.dbfile import explain
        p = explain(e, path)
        return [CheckResult(device, False, p.what if p else str(e), p.fix if p else "report this to the supplier")]
    finally:
        conn.close()


def check(ctx) -> list[CheckResult]:
    path = Path(ctx.db_path)
    device = f"database {path}"
    if not path.parent.is_dir() and not ctx.db_given:  # the built-in place: made with the database
        return [CheckResult(device, True, f"not made yet: the first `jiaohao serve` (or ticket) makes it, "
                                          f"and its folder {path.parent}")]
    if not path.parent.is_dir():
        return [CheckResult(device, False, f"the folder {path.parent} does not exist",
                            "check JIAOHAO_DB / --db; install the folder: README, installing")]
    out = []
    if path.exists():
        out.append(sharing(path))
        out.extend(contents(path, ctx.config.hall.name))
    else:
        out.append(CheckResult(device, True, "not made yet: the first `jiaohao serve` (or ticket) makes it"))
        share = sharing(path)
        if not share.ok:
            out.append(share)
    return out
