"""Request bodies of the managers' API (docs/manage.md): alarms, limits, actions, people.
Each action says why (``why``): it is recorded with the manager's 工号."""
from __future__ import annotations

from typing import Annotated, Optional, Union

from pydantic import Field

from .models import MAX_ID, MAX_TEXT, Name, Request_

Why = Annotated[str, Field(min_length=1, max_length=MAX_TEXT, description="why (recorded with who)")]
Text = Annotated[str, Field(max_length=MAX_TEXT)]


class AckIn(Request_):
    id: Annotated[int, Field(ge=1, le=MAX_ID, description="the alarm")]
    note: Text = ""


class LimitIn(Request_):
    scope: Annotated[str, Field(max_length=8, description='"" the whole hall, or a service code')] = ""
    field: Annotated[str, Field(min_length=1, max_length=40, description="max_waiting, max_wait_minutes …")]
    value: Union[None, bool, int, float, Annotated[str, Field(max_length=16)]] = \
        Field(description="the new limit; null switches it off")
    reason: Why


class LimitResetIn(Request_):
    scope: Annotated[str, Field(max_length=8)] = ""
    field: Annotated[str, Field(min_length=1, max_length=40)]
    reason: Why


class WhyIn(Request_):
    why: Why


class PauseWhyIn(Request_):
    why: Why
    reason: Optional[Annotated[str, Field(max_length=32)]] = Field(None, description="away | lunch | meeting")


class TransferWhyIn(Request_):
    why: Why
    to_service: Optional[Name] = None
    to_window: Optional[Annotated[int, Field(ge=1, le=9999)]] = None


class NoticeTextIn(Request_):
    why: Why
    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
    text_en: Text = ""
    minutes: Optional[Annotated[float, Field(gt=0, le=1440)]] = None


class StaffIn(Request_):
    staff: Annotated[str, Field(min_length=1, max_length=32)]
    name: Annotated[str, Field(min_length=1, max_length=64)]
    role: Annotated[str, Field(pattern="^(staff|manager|technician)$")]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class StaffPasswordIn(Request_):
    staff: Annotated[str, Field(min_length=1, max_length=32)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class StaffNumberIn(Request_):
    staff: Annotated[str, Field(min_length=1, max_length=32)]


class DeviceIn(Request_):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    role: Annotated[str, Field(pattern="^(kiosk|screen|caller|controller)$")]
    windows: Annotated[list[Annotated[int, Field(ge=1, le=9999)]], Field(max_length=64)] = []


class DeviceNameIn(Request_):
    name: Annotated[str, Field(min_length=1, max_length=64)]
