"""`diag check`: the provincial 好差评 push — its credentials, and records the platform has
not taken (failing tries, or waiting more than an hour) with the platform's last answer."""
from __future__ import annotations

import time

from . import CheckResult

STUCK_AFTER_S = 3600.0


def check(ctx) -> list[CheckResult]:
    push = ctx.config.ratings.push
    if not push.url:
        return []
    from hall.errors import InvalidArgument
    from hall.rating_push import push_state, read_token
    name = f"好差评 push {push.url}"
    try:
        token = read_token(push)
    except InvalidArgument as e:
        return [CheckResult(name, False, str(e), "put the platform's token on the first line of that file "
                            "(readable by the jiaohao service), then restart jiaohao serve")]
    results = []
    if not ctx.config.ratings.region_code:
        results.append(CheckResult(name + " region", False, "[ratings] region_code is empty: the platform gets no "
                                   "行政区划 and hall-local 办件编号 are not unique in the province",
                                   "set [ratings] region_code to the hall's 6, 9 or 12-digit 行政区划代码"))
    if not token:
        results.append(CheckResult(name + " credentials", False,
                                   "no token: [ratings.push] credentials_file is empty and "
                                   f"${push.credentials_env} is not set",
                                   "set credentials_file to a file holding the platform's token"))
    if not ctx.db_path.exists():
        return results
    from hall.readonly import ReadOnlyQueue
    q = ReadOnlyQueue(ctx.db_path, ctx.config)
    try:
        s = push_state(q, ctx.config)
    finally:
        q.close()
    stuck = s["oldest_pending_at"] is not None and time.time() - s["oldest_pending_at"] > STUCK_AFTER_S
    if s["failing"] or stuck:
        age = f", the oldest waiting {(time.time() - s['oldest_pending_at']) / 3600:.1f} h" if stuck else ""
        results.append(CheckResult(name, False, f"{s['pending']} rating(s) not taken by the platform "
                                   f"({s['failing']} failing{age}); last answer: {s['last_error'] or 'none'}",
                                   "check the network to the platform, the url and the token; the records are "
                                   "kept and sent again by themselves"))
    else:
        results.append(CheckResult(name, True, f"{s['sent']} sent, {s['pending']} waiting, none failing"))
    return results
