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
        return [CheckResult(name, False, str(e), "把平台的令牌写在那个文件的第一行（jiaohao 服务要能读），再重启 jiaohao serve "
                            "(put the platform's token on the first line of that file, readable by the jiaohao "
                            "service, then restart jiaohao serve)")]
    results = []
    if not ctx.config.ratings.region_code:
        results.append(CheckResult(name + " region", False, "[ratings] region_code 是空的：平台收不到行政区划，大厅自编的办件编号在全省不唯一 "
                                   "(region_code is empty: the platform gets no 行政区划 and hall-local 办件编号 "
                                   "are not unique in the province)",
                                   "把 [ratings] region_code 设为本大厅 6、9 或 12 位的行政区划代码 "
                                   "(set it to the hall's 6, 9 or 12-digit 行政区划代码)"))
    if not token:
        results.append(CheckResult(name + " credentials", False,
                                   "没有令牌：[ratings.push] credentials_file 是空的，"
                                   f"${push.credentials_env} 也没设 (no token: credentials_file is empty and "
                                   f"${push.credentials_env} is not set)",
                                   "把 credentials_file 设为存放平台令牌的文件 "
                                   "(set credentials_file to a file holding the platform's token)"))
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
        hours = (time.time() - s['oldest_pending_at']) / 3600 if stuck else 0
        age = f", the oldest waiting {hours:.1f} h" if stuck else ""
        age_zh = f"，最早一条已等 {hours:.1f} 小时" if stuck else ""
        results.append(CheckResult(name, False, f"{s['pending']} 条评价平台没收下（{s['failing']} 条失败{age_zh}）；"
                                   f"平台最后回答 (last answer): {s['last_error'] or '无 none'} "
                                   f"({s['pending']} rating(s) not taken by the platform, {s['failing']} failing{age})",
                                   "检查到平台的网络、地址和令牌；记录都保留着，会自动重发 (check the network to the "
                                   "platform, the url and the token; the records are kept and sent again by themselves)"))
    else:
        results.append(CheckResult(name, True, f"已发 {s['sent']} 条，等待 {s['pending']} 条，没有失败 "
                                               f"({s['sent']} sent, {s['pending']} waiting, none failing)"))
    return results
