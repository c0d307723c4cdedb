"""`diag check` on a PC that uses a hall server (kiosk, window PC, TV box): does the server
answer, is this PC's token accepted and as what. Nothing to check on a one-computer hall."""
from __future__ import annotations

from . import CheckResult

NO_ANSWER_FIX = ("检查服务器地址（--server、JIAOHAO_SERVER 或 [client] server）、控制电脑是否开机、"
                 "jiaohao serve 是否带 [server] listen 地址运行，以及本机网线 (check the address, that the "
                 "controller PC is on and `jiaohao serve` runs with a [server] listen address, and this PC's network cable)")
TOKEN_FIX = ("在控制电脑上运行 jiaohao devices add 名称 --role 角色（kiosk、screen、caller），把它打印的令牌放进本机 "
             "/etc/jiaohao/device.token（见 docs/network.md） (on the controller: jiaohao devices add NAME --role ROLE; "
             "put the token it prints in /etc/jiaohao/device.token on this PC)")


def check(ctx) -> list[CheckResult]:
    if not ctx.server:
        return []
    from hall.errors import Forbidden, HallError, NotAuthorized, ServerUnreachable
    from hall.remote import RemoteHall

    url = ctx.server
    hall = RemoteHall(url, ctx.token, _NoConfig(), timeout_s=ctx.timeout_s)
    try:
        try:
            h = hall.health()
        except ServerUnreachable as e:
            return [CheckResult(f"hall server {url}", False, f"没有应答：{e.zh} (no answer: {e})", NO_ANSWER_FIX)]
        except HallError as e:
            return [CheckResult(f"hall server {url}", False, f"有应答，但不是叫号服务器：{e.zh} (answers, but not as a hall server: {e})",
                                "这是 jiaohao serve 的地址吗？可能是别的程序占用了那个端口 "
                                "(is this the address of `jiaohao serve`? another program may use that port)")]
        out = [CheckResult(f"hall server {url}", True,
                           f"应答正常：{h.get('hall', '?')}，jiaohao {h.get('version', '?')}，"
                           f"{h.get('last_event_id', 0)} 条事件 (answers, {h.get('last_event_id', 0)} events)")]
        device = f"token for {url}"
        if not ctx.token:
            out.append(CheckResult(device, False, "本机没有令牌，服务器会拒绝它 (this PC has no token: the server will refuse it)", TOKEN_FIX))
            return out
        try:
            hall.request("GET", "/config")
        except NotAuthorized:
            out.append(CheckResult(device, False, "服务器拒绝本机的令牌：不认识、已吊销或已过期 (the server refuses this PC's token: unknown, revoked or expired)",
                                   TOKEN_FIX))
            return out
        except (Forbidden, HallError) as e:
            out.append(CheckResult(device, False, f"令牌没能核对 (the token was not checked): {e}", NO_ANSWER_FIX))
            return out
        out.append(CheckResult(device, True, f"已接受 accepted{_role(hall)}"))
        return out
    finally:
        hall.close()


def _role(hall) -> str:
    """", role kiosk (kiosk-2)" when the server says who the token is (GET /whoami)."""
    from hall.errors import HallError
    try:
        me = hall.request("GET", "/whoami").json()
    except (HallError, ValueError):
        return "（这个服务器不告诉令牌的角色 this server does not say the token's role）"
    windows = me.get("windows") or ()
    return (f"，角色 role {me.get('role', '?')} ({me.get('name', '?')})"
            + (f"，窗口 windows {', '.join(map(str, windows))}" if windows else ""))


class _NoConfig:
    """RemoteHall needs a hall config for its operations; these checks use none."""

    class hall:
        timezone = ""
        name = ""

    services: list = []
    windows: list = []
