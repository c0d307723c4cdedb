"""What a queue ticket says on paper: hall config + Ticket -> drivers.printer.TicketContent."""
from __future__ import annotations

from datetime import datetime

from config import HallConfig
from drivers.printer import TicketContent

PRIORITY_MARK = "绿色通道 优先办理"
APPOINTMENT_MARK = "预约取号"
TRANSFER_MARK = "转办 请留意叫号"
OFFLINE_MARK = "【离线】"


def window_ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 5, 12]`` -> ``"1-3、5、12"``: runs of three or more become a range."""
    nums = sorted(set(numbers))
    parts: list[str] = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{nums[i]}-{nums[j]}")
        else:
            parts.extend(str(n) for n in nums[i:j + 1])
        i = j + 1
    return "、".join(parts)


def windows_text(cfg: HallConfig, service: str, target_window: int | None = None) -> str:
    """The windows that serve ``service`` (or the one it was sent to), e.g. ``"1-3、12号窗口"``."""
    if target_window is not None:
        return f"{target_window}号窗口"
    numbers = [w.number for w in cfg.windows if service in w.services]
    return f"{window_ranges(numbers)}号窗口" if numbers else ""


def qr_content(template: str, ticket) -> str:
    """The QR code's text from ``printer.qr`` ({status_url}, {token}, {ticket_id}, {number},
    {day}); "" for none (or a ticket without a token, e.g. from an older server, whose
    template needs one)."""
    if not template:
        return ""
    token = getattr(ticket, "token", None) or ""
    url = getattr(ticket, "status_url", None) or ""
    if (not token and "{token}" in template) or (not url and "{status_url}" in template):
        return ""
    return template.format(status_url=url, token=token, ticket_id=ticket.id, number=ticket.number, day=ticket.day)


def ticket_content(cfg: HallConfig, ticket, note: str = "") -> TicketContent:
    """Everything printed on ``ticket``'s paper slip (``note``: the guide's line, kiosk/guide_mode.py)."""
    try:
        svc = cfg.service(ticket.service)
        name, zone = ticket.service_name or svc.name, svc.zone
    except KeyError:
        name, zone = ticket.service_name or ticket.service, ""
    marks: list[str] = []
    if ticket.kind == "priority":
        marks.append(PRIORITY_MARK)
    elif ticket.kind == "appointment":
        marks.append(APPOINTMENT_MARK)
    if ticket.transfers:
        marks.append(TRANSFER_MARK)
    offline = getattr(ticket, "offline", False)
    return TicketContent(
        hall=cfg.hall.name,
        hall_en=cfg.hall.name_en,
        service=name,
        zone=zone,
        number=ticket.number,
        ahead=ticket.ahead,
        issued=datetime.fromtimestamp(ticket.issued_at).strftime("%Y-%m-%d %H:%M"),
        windows=windows_text(cfg, ticket.service, ticket.target_window),
        qr="" if offline else qr_content(cfg.printer.qr, ticket),  # (its id is the kiosk's own until sent)
        notice=cfg.hall.notice,
        marks=tuple(marks),
        footer=f"预约码 {ticket.appointment}" if ticket.appointment else "",
        ahead_text=offline_ahead(ticket) if offline else "",
        reminder=note,
    )


def offline_ahead(ticket) -> str:
    """The people-ahead line of an offline ticket: only what the kiosk can honestly know."""
    n = getattr(ticket, "ahead_estimate", None)
    if n is None:
        return f"{OFFLINE_MARK} 前方人数待联网后确认"
    return f"{OFFLINE_MARK} 前方约{n}人（离线估计）"
