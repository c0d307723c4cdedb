"""`diag check`: the hall's client PCs (kiosks, screens, software callers) as their
heartbeats tell the server: connected or not, since when, how many events behind, how far
their clocks are off. On the controller it reads the ``clients`` table `serve` writes;
on another PC (``--server``) it asks ``GET /api/v1/clients``."""
from __future__ import annotations

import sqlite3
import time
from datetime import datetime

from . import CheckResult

LAG_WARN = 200  # events behind at a heartbeat beyond which a client is said to be falling behind
FORGOTTEN_S = 24 * 3600  # a PC silent this long is listed, not failed (switched off, or retired)
OFF_FIX = ("到那台电脑上看：开机了吗？网线插好了吗？jiaohao 服务在运行吗？再在那里运行 `jiaohao diag check` "
           "(on that PC: is it on, is its network cable in, does its jiaohao unit run: systemctl status "
           "jiaohao-kiosk / jiaohao-screen / jiaohao-caller@N? then `jiaohao diag check` there)")
CLOCK_FIX = ("把那台电脑的时钟校准：打开时间同步（timedatectl set-ntp true），对准控制电脑或大厅的 NTP 服务器 "
             "(set that PC's clock right: enable time sync against the controller or the hall's NTP server)")
SERVER_ABOVE = "看上面大厅服务器那一行 (see the hall server check above)"
LAG_FIX = ("那台电脑跟不上大厅的事件：检查它的网络和 CPU 负载，重启它的 jiaohao 服务 "
           "(that PC is not keeping up with the hall's events: check its network and CPU load, restart its jiaohao unit)")


def check(ctx) -> list[CheckResult]:
    if getattr(ctx, "server", None):
        return _remote(ctx)
    if getattr(ctx.config, "server", None) is None:
        return []  # no hall API here: no client PCs
    return _local(ctx)


def _local(ctx) -> list[CheckResult]:
    from hall.clients import read_clients
    from hall.clock_offset import max_skew
    path = ctx.db_path
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as e:
        return [CheckResult("client PCs", False, f"读不了数据库 (the database {path} cannot be read): {e}",
                            "看上面数据库那一行 (see the database check above)")]
    try:
        last = conn.execute("SELECT max(id) FROM events").fetchone()[0] or 0
        rows = read_clients(conn, ctx.config.client.heartbeat_s, max_skew(ctx.config), last)
    except sqlite3.Error as e:
        if "no such table" in str(e):
            return [CheckResult("client PCs", True, "还没有客户端报到，这个数据库比心跳功能早 "
                                                      "(none has reported yet: this database predates heartbeats)")]
        return [CheckResult("client PCs", False, f"读不了客户端记录 (the clients' records cannot be read): {e}",
                            "看上面数据库那一行 (see the database check above)")]
    finally:
        conn.close()
    return results(rows, time.time())


def _remote(ctx) -> list[CheckResult]:
    from hall.errors import HallError
    from hall.remote import RemoteHall

    from .server import _NoConfig
    if not ctx.token:
        return []  # the server check above already says this PC has no token
    hall = RemoteHall(ctx.server, ctx.token, _NoConfig(), timeout_s=ctx.timeout_s)
    try:
        d = hall.request("GET", "/clients").json()
    except HallError as e:
        if getattr(e, "status", None) == 404:
            return [CheckResult("client PCs", True, "这个大厅服务器不列出客户端，版本较旧 "
                                                      "(this hall server does not list its clients: an older version)")]
        return [CheckResult("client PCs", False, f"没读到列表 (the list was not read): {e}", SERVER_ABOVE)]
    except ValueError:
        return [CheckResult("client PCs", False, "服务器的回答不是 JSON (the server's answer is not JSON)", SERVER_ABOVE)]
    finally:
        hall.close()
    return results(d.get("clients", []), float(d.get("server_time") or time.time()))


def results(rows: list[dict], now: float) -> list[CheckResult]:
    """One line a client PC."""
    if not rows:
        return [CheckResult("client PCs", True, "还没有客户端报到 (none has reported yet)")]
    out = []
    for c in rows:
        device = f"{c['app']} {c['name']}" + (f" (window {c['window']})" if c.get("window") else "")
        where = c.get("address") or "?"
        if c.get("host"):
            where += f" {c['host']}"
        if not c["connected"]:
            ago = now - c["last_seen"]
            when, (span_zh, span) = _when(c['last_seen'], now), _span(ago)
            detail = (f"未连接：最后一次联系 {when}（{span_zh}前），来自 {where}"
                      + ("，关机了还是已停用？" if ago > FORGOTTEN_S else "")
                      + f" (not connected: last heard {when}, {span} ago"
                      + (", switched off, or retired?)" if ago > FORGOTTEN_S else ")"))
            out.append(CheckResult(device, ago > FORGOTTEN_S, detail,
                                   "" if ago > FORGOTTEN_S else OFF_FIX))
            continue
        lag = c.get("lag")
        since = _when(c['since'], now)
        parts = [f"connected since {since}",
                 "lag not reported" if lag is None else f"{lag} event(s) behind",
                 f"clock {_offset(c.get('offset_s'))}"]
        zh = [f"自 {since} 起已连接", "未报告落后多少" if lag is None else f"落后 {lag} 条事件",
              f"时钟{_offset_zh(c.get('offset_s'))}"]
        if c.get("stream") and c["stream"] != "connected":
            parts.append(f"event stream {c['stream']}")
            zh.append(f"事件流 {c['stream']}")
        problems, problems_zh, fixes = [], [], []
        if c.get("clock_skewed"):
            problems.append("clock off by more than the hall allows")
            problems_zh.append("时钟偏差超过大厅允许的范围")
            fixes.append(CLOCK_FIX)
        if lag is not None and lag > LAG_WARN:
            problems.append("falling behind")
            problems_zh.append("跟不上")
            fixes.append(LAG_FIX)
        detail = ("，".join(zh) + f"，{where}" + ("；" + "；".join(problems_zh) if problems_zh else "")
                  + f" ({', '.join(parts)}" + ("; " + "; ".join(problems) if problems else "") + ")")
        out.append(CheckResult(device, not problems, detail, "；".join(fixes)))
    return out


def _when(ts: float | None, now: float) -> str:
    if ts is None:
        return "?"
    t = datetime.fromtimestamp(ts)
    return t.strftime("%H:%M:%S") if t.date() == datetime.fromtimestamp(now).date() else t.strftime("%Y-%m-%d %H:%M")


def _span(s: float) -> tuple[str, str]:
    """How long a PC has been silent, (Chinese, English): ``("12 分钟", "12 min")``. Seconds
    under 2 minutes (heartbeats come every few seconds), hours with a decimal from 2 hours."""
    if s < 120:
        n, zh, en = f"{s:.0f}", "秒", "s"
    elif s < 7200:
        n, zh, en = f"{s / 60:.0f}", "分钟", "min"
    else:
        n, zh, en = f"{s / 3600:.1f}", "小时", "h"
    return f"{n} {zh}", f"{n} {en}"


def _offset_zh(offset_s: float | None) -> str:
    if offset_s is None:
        return "未测"
    if abs(offset_s) < 0.5:
        return "准确"
    return f"快 {offset_s:.1f} 秒" if offset_s > 0 else f"慢 {-offset_s:.1f} 秒"


def _offset(offset_s: float | None) -> str:
    from hall.clock_offset import describe
    return describe(offset_s)
