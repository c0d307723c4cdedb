"""`diag check`: shipping to the city's PostgreSQL ([city] database), from the hall's own
record of it (the city is not contacted: the check is quick and works with it down)."""
from __future__ import annotations

import time
from datetime import datetime

from . import CheckResult

LATE_AFTER_S = 3600.0  # events waiting this long while nothing was shipped: say so


def check(ctx) -> list[CheckResult]:
    city = getattr(ctx.config, "city", None)
    if city is None or not city.database or not ctx.db_path.exists():
        return []
    from city.ship import status
    name = f"city shipping ({city.hall_code})"
    rows = [r for r in status(ctx.db_path) if r["hall_code"] == city.hall_code]
    if not rows:
        return [CheckResult(name, False, "还没有上报过市级平台 (nothing shipped to the city yet)",
                            "运行 `jiaohao ship --once` 看原因，它用一行说明哪里不对 "
                            "(run it to see why: it says what is wrong in one line)")]
    r = rows[0]
    when = datetime.fromtimestamp(r["shipped_at"]).strftime("%Y-%m-%d %H:%M") if r["shipped_at"] else "从未 never"
    late = r["behind"] and (r["shipped_at"] is None or time.time() - r["shipped_at"] > LATE_AFTER_S)
    if r["last_error"] or late:
        return [CheckResult(name, False, f"{r['behind']} 条事件还没到市级平台，最后上报 {when} "
                            f"({r['behind']} event(s) not yet in the city, last shipped {when}); "
                            f"最后的错误 last error: {r['last_error'] or '无 none'}",
                            "检查到市级服务器的网络、[city] database 和密码文件；不会丢数据，上报会自己补上，"
                            "大厅照常工作 (check the network to the city server, [city] database and the password "
                            "file; nothing is lost: shipping catches up by itself, the hall works meanwhile)")]
    return [CheckResult(name, True, f"最后上报 {when}，{r['behind']} 条事件等待中 "
                                    f"(shipped {when}, {r['behind']} event(s) waiting)")]
