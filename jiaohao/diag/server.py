"""`diag check` on a PC that uses a hall server (kiosk, window PC, TV box): does the server
answer, is this PC's token accepted and as what. Nothing to check on a one-computer hall."""
from __future__ import annotations

from . import CheckResult

NO_ANSWER_FIX = ("check the address (--server, JIAOHAO_SERVER or [client] server), that the controller PC is on "
                 "and `jiaohao serve` runs with a [server] listen address, and this PC's network cable")
TOKEN_FIX = ("on the controller: jiaohao devices add NAME --role ROLE (kiosk, screen, caller); put the token it "
             "prints in /etc/jiaohao/device.token on this PC (docs/network.md)")


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
            return [CheckResult(f"hall server {url}", False, f"no answer ({e.zh})", NO_ANSWER_FIX)]
        except HallError as e:
            return [CheckResult(f"hall server {url}", False, f"answers, but not as a hall server: {e}",
                                "is this the address of `jiaohao serve`? (another program may use that port)")]
        out = [CheckResult(f"hall server {url}", True,
                           f"answers: {h.get('hall', '?')}, jiaohao {h.get('version', '?')}, "
                           f"{h.get('last_event_id', 0)} events")]
        device = f"token for {url}"
        if not ctx.token:
            out.append(CheckResult(device, False, "this PC has no token: the server will refuse it", TOKEN_FIX))
            return out
        try:
            hall.request("GET", "/config")
        except NotAuthorized:
            out.append(CheckResult(device, False, "the server refuses this PC's token (unknown, revoked or expired)",
                                   TOKEN_FIX))
            return out
        except (Forbidden, HallError) as e:
            out.append(CheckResult(device, False, f"the token was not checked: {e}", NO_ANSWER_FIX))
            return out
        out.append(CheckResult(device, True, f"accepted{_role(hall)}"))
        return out
    finally:
        hall.close()


def _role(hall) -> str:
    """", role kiosk (kiosk-2)" when the server says who the token is (GET /whoami)."""
    from hall.errors import HallError
    try:
        me = hall.request("GET", "/whoami").json()
    except (HallError, ValueError):
        return " (this server does not say the token's role)"
    windows = me.get("windows") or ()
    return (f", role {me.get('role', '?')} ({me.get('name', '?')})"
            + (f", windows {', '.join(map(str, windows))}" if windows else ""))


class _NoConfig:
    """RemoteHall needs a hall config for its operations; these checks use none."""

    class hall:
        timezone = ""
        name = ""

    services: list = []
    windows: list = []
