"""The hall configuration without pydantic: the methods of the config objects, and
plain read-only copies of a validated hall.

The pydantic models of :mod:`config.schema` inherit the mixins here, so the logic
exists once. :func:`to_view` copies a validated :class:`~config.schema.HallConfig` into
objects of the small classes below, with the same attributes and the same methods;
:mod:`config.cache` keeps that copy pickled so that commands which only read the
configuration (``jiaohao queue …``) start without importing pydantic. Standard library
only: importing this module must stay cheap.
"""
from __future__ import annotations

import re
from datetime import time

from .invalid import Invalid

_RANGE = re.compile(r"^([0-9]{1,2}):([0-9]{2})-([0-9]{1,2}):([0-9]{2})$")  # ASCII: \d takes ０９


def parse_range(text: str) -> tuple[time, time]:
    """Parse ``"08:30-12:00"`` into two times, or raise ValueError."""
    m = _RANGE.match(text.strip())
    if not m:
        raise Invalid(f"{text!r} is not a time range like 08:30-12:00", f"{text!r} 不是时段，应形如 08:30-12:00")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise Invalid(f"{text!r} has an impossible time", f"{text!r} 里有不存在的时刻")
    start = time(h1, m1)
    end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
    if end <= start:
        raise Invalid(f"{text!r} ends before it starts", f"{text!r} 的结束早于开始")
    return start, end


class ServiceMethods:
    """What a service computes from its fields (``code``, ``prefix``, ``hours``)."""

    __slots__ = ()

    @property
    def ticket_prefix(self) -> str:
        return self.prefix or self.code

    def periods(self) -> list[tuple[time, time]]:
        return [parse_range(s) for s in self.hours]


class HallMethods:
    """Lookups in a hall (``services``, ``windows``)."""

    __slots__ = ()

    def service(self, code: str):
        for s in self.services:
            if s.code == code:
                return s
        raise KeyError(code)

    def window(self, number: int):
        for w in self.windows:
            if w.number == number:
                return w
        raise KeyError(number)


class Section:
    """A read-only copy of one validated section: its fields as attributes."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is read-only (the hall file is the configuration)")

    def __delattr__(self, name):
        self.__setattr__(name, None)

    def __eq__(self, other):
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __hash__(self):
        return hash(tuple(self.__dict__.values()))

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"

    def __reduce__(self):  # pickled by its fields, never through __setattr__
        return (_section, (type(self), self.__dict__))


def _section(cls, fields: dict):
    return cls(**fields)


class ServiceView(ServiceMethods, Section):
    """A read-only service."""


class HallView(HallMethods, Section):
    """A read-only hall: what ``jiaohao queue …`` reads instead of :class:`HallConfig`."""


_VIEWS = ((HallMethods, HallView), (ServiceMethods, ServiceView))
VIEW_CLASSES = (Section, ServiceView, HallView)


def to_view(value):
    """A plain, pydantic-free copy of a validated model (recursively; lists stay lists,
    tuples tuples, dicts dicts, other values such as ``datetime.time`` as they are)."""
    fields = getattr(type(value), "model_fields", None)
    if fields is not None:
        cls = next((view for mixin, view in _VIEWS if isinstance(value, mixin)), Section)
        return cls(**{name: to_view(getattr(value, name)) for name in fields})
    if isinstance(value, list):
        return [to_view(v) for v in value]
    if isinstance(value, tuple):
        return tuple(to_view(v) for v in value)
    if isinstance(value, dict):
        return {k: to_view(v) for k, v in value.items()}
    return value
