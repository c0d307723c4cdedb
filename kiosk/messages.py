"""The words of the kiosk's messages: the message screen's and the PIN pad's.

Each function turns a :class:`kiosk.flow.Message` into text in the current language
(Qt's translator) plus, for the message screen, the English original shown under it.
"""
from __future__ import annotations

import math

from . import flow as F
from .i18n import translate


def message_texts(m: F.Message, english: bool, config) -> tuple[str, str, str]:
    """(text, English original, detail) of a message-screen message."""
    en = english
    p = m.params
    tile = p.get("tile")
    name = tile.label(en) if tile is not None else ""
    if m.code == F.MSG_BUSY:
        src = "The system is busy, please try again in a moment"
        return translate("Kiosk", "The system is busy, please try again in a moment"), src, ""
    if m.code == F.MSG_OFFLINE:
        src = "No ticket can be issued now: the hall server does not answer. Please go to the service desk"
        return (translate("Kiosk", "No ticket can be issued now: the hall server does not answer. "
                                   "Please go to the service desk"), src,
                translate("Kiosk", "Cannot reach the hall server (%1)").replace("%1", p.get("address", "")))
    if m.code == F.MSG_OFFLINE_STOPPED:
        src = "Ticket issue paused, please go to the service desk"
        return (translate("Kiosk", "Ticket issue paused, please go to the service desk"), src,
                offline_reason(p.get("reason"), config))
    if m.code == F.MSG_PRINT_FAILED:
        src = "Your ticket could not be printed, please go to the service desk"
        return (translate("Kiosk", "Your ticket could not be printed, please go to the service desk"), src,
                p.get("en" if en else "zh", ""))
    if m.code == F.MSG_CLOSED:
        src = "This service is not taking tickets now"
        detail = ""
        if tile is not None:
            detail = (translate("Kiosk", "Tickets from %1").replace("%1", tile.opens_at.strftime("%H:%M"))
                      if tile.opens_at else translate("Kiosk", "Closed for today"))
            if tile.hours:
                detail = f"{name}\n{detail}\n" + translate("Kiosk", "Opening hours: %1").replace("%1", "  ".join(tile.hours))
        return translate("Kiosk", "This service is not taking tickets now"), src, detail
    if m.code == F.MSG_CAP:
        src = "All of today's tickets for this service have been taken"
        return (translate("Kiosk", "All of today's tickets for this service have been taken"), src,
                (name + "\n" if name else "") + translate("Kiosk", "Please come back on the next working day, "
                                                          "or ask at the service desk"))
    if m.code == F.MSG_NO_APPOINTMENT:
        src = "No appointment found with this code"
        return (translate("Kiosk", "No appointment found with this code"), src,
                p.get("code", "") + "\n" + translate("Kiosk", "Please check the code, or ask at the service desk"))
    if m.code == F.MSG_APPOINTMENT_OTHER_DAY:
        src = "Your appointment is not for today"
        return (translate("Kiosk", "Your appointment is not for today"), src,
                translate("Kiosk", "Appointment date: %1").replace("%1", p.get("day", "")))
    if m.code == F.MSG_APPOINTMENT_TOO_EARLY:
        src = "It is too early to check in"
        return (translate("Kiosk", "It is too early to check in"), src,
                translate("Kiosk", "Your appointment is at %1. Please check in from %2 minutes before.")
                .replace("%1", p.get("slot", ""))
                .replace("%2", str(config.rules.appointment_early_minutes)))
    if m.code == F.MSG_NO_TECH_PIN:
        src = "No technician PIN is set: the technician menu cannot be opened"
        return (translate("Kiosk", "No technician PIN is set: the technician menu cannot be opened"), src,
                translate("Kiosk", "Tickets are still issued. To set the PIN, run this on the kiosk PC, "
                                   "then restart the kiosk:") + "\njiaohao pin set --role technician")
    if m.code == F.MSG_NO_GREEN_PIN:
        src = "The green channel is not available at this kiosk, please ask at the service desk"
        return (translate("Kiosk", "The green channel is not available at this kiosk, please ask at the service desk"),
                src, translate("Kiosk", "For staff: no green-channel staff PIN is set. A technician runs:")
                + "\njiaohao pin set --role green")
    src = "Something went wrong, please go to the service desk"
    return (translate("Kiosk", "Something went wrong, please go to the service desk"), src,
            p.get("en" if en else "zh", ""))  # the hall server's own words, when it refused


def offline_reason(reason: str | None, config) -> str:
    """Why offline issue stopped (kiosk/offline.py), for the paused screen and messages."""
    if reason == "too_long":
        return translate("Kiosk", "The hall server has not answered for more than %1 minutes. "
                                  "Tickets are issued again as soon as it answers.") \
            .replace("%1", str(config.kiosk.offline_max_minutes))
    if reason == "spent":
        return translate("Kiosk", "This kiosk's reserved numbers are used up. "
                                  "Tickets are issued again as soon as the hall server answers.")
    return translate("Kiosk", "The hall server does not answer and this kiosk holds no reserved numbers. "
                              "Tickets are issued again as soon as it answers.")


def offline_hint() -> str:
    return translate("Kiosk", "Offline: tickets are still issued")


def pin_pad_text(m: F.Message | None) -> str:
    """The line under the PIN on the PIN pad: a wrong PIN, or how long the pad stays locked."""
    if m is None:
        return ""
    if m.code == F.MSG_PIN_LOCKED:
        seconds = math.ceil(m.params.get("seconds", 0))
        if seconds >= 60:
            wait = translate("Kiosk", "Try again in %1 min").replace("%1", str(math.ceil(seconds / 60)))
        else:
            wait = translate("Kiosk", "Try again in %1 s").replace("%1", str(max(1, seconds)))
        return translate("Kiosk", "Too many wrong PINs: the PIN pad is locked.") + "\n" + wait
    if m.code == F.MSG_WRONG_PIN:
        left = m.params.get("left")
        if left:
            return (translate("Kiosk", "Wrong PIN, please try again") + "\n"
                    + translate("Kiosk", "%1 more wrong PIN(s) lock the PIN pad").replace("%1", str(left)))
        return translate("Kiosk", "Wrong PIN, please try again")
    return ""
