"""Plain records of the report figures: duration statistics, one row of figures, the columns."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

GROUPINGS = ("service", "window", "staff", "department", "hour", "day")
GROUPING_NAMES = {"service": ("事项", "Service"), "window": ("窗口", "Window"),
                  "staff": ("工作人员", "Staff"), "department": ("部门", "Department"),
                  "hour": ("时段", "Hour"), "day": ("日期", "Day")}
GROUPING_NAMES["hall"] = ("大厅", "Hall")  # the city's reports (city/report.py) group by hall too
SCORE_LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
SCORE_LABELS_EN = {5: "Very satisfied", 4: "Satisfied", 3: "Fairly satisfied",
                   2: "Dissatisfied", 1: "Very dissatisfied"}
#: 好评 levels of the national 好差评 scale: 差评 are 不满意 and 非常不满意.
SATISFIED_SCORES = (5, 4, 3)
#: reasons of ``refused`` events that mean the printer could not print a ticket.
PRINTER_REFUSALS = frozenset({"printer", "printer_unavailable", "paper_out", "cover_open",
                              "offline", "print_failed"})
NO_STAFF = "(未登录)"
NO_DEPARTMENT = "(未设部门)"


@dataclass(frozen=True)
class Stats:
    """Summary of durations in seconds: count, mean, 90th percentile (nearest rank), max."""

    n: int = 0
    mean: float | None = None
    p90: float | None = None
    max: float | None = None

    @classmethod
    def of(cls, values: list[float]) -> "Stats":
        if not values:
            return cls()
        values = sorted(values)
        n = len(values)
        return cls(n, sum(values) / n, values[max(0, math.ceil(0.9 * n) - 1)], values[-1])

    def to_json(self) -> dict:
        return {"n": self.n, "mean_s": _r(self.mean), "p90_s": _r(self.p90), "max_s": _r(self.max)}


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


@dataclass
class Figures:
    """The figures of one row (a service, a window, an hour …) or of the whole hall.

    ``None`` means "does not apply to this grouping" (a window issues no tickets)."""

    key: str
    label: str
    issued: int | None = 0
    served: int = 0
    no_show: int = 0
    transfers: int = 0
    expired: int | None = 0
    cancelled: int | None = 0
    open: int | None = 0
    wait: Stats = field(default_factory=Stats)
    handle: Stats = field(default_factory=Stats)
    ratings: dict[int, int] = field(default_factory=lambda: {s: 0 for s in SCORE_LABELS})
    refused_cap: int | None = 0
    refused_hours: int | None = 0
    refused_printer: int | None = 0

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())

    @property
    def satisfied(self) -> int:
        return sum(self.ratings[s] for s in SATISFIED_SCORES)

    @property
    def satisfaction(self) -> float | None:
        """(非常满意 + 满意 + 基本满意) / rated, 0..1; None when nobody rated."""
        return self.satisfied / self.rated if self.rated else None

    @property
    def refused(self) -> int | None:
        parts = (self.refused_cap, self.refused_hours, self.refused_printer)
        return None if self.refused_cap is None else sum(p or 0 for p in parts)

    def to_json(self) -> dict:
        return {
            "key": self.key, "label": self.label, "issued": self.issued, "served": self.served,
            "no_show": self.no_show, "transfers": self.transfers, "expired": self.expired,
            "cancelled": self.cancelled, "open": self.open,
            "wait": self.wait.to_json(), "handle": self.handle.to_json(),
            "ratings": {str(s): self.ratings[s] for s in SCORE_LABELS}, "rated": self.rated,
            "satisfaction": None if self.satisfaction is None else round(self.satisfaction, 4),
            "refused": {"cap": self.refused_cap, "hours": self.refused_hours,
                        "printer": self.refused_printer, "total": self.refused},
        }

    def flat(self) -> dict:
        """One flat record (durations in minutes) for CSV and spreadsheet rows."""
        m = lambda s: None if s is None else round(s / 60, 2)  # noqa: E731
        out = {"key": self.key, "label": self.label, "issued": self.issued, "served": self.served,
               "no_show": self.no_show, "transfers": self.transfers, "expired": self.expired,
               "cancelled": self.cancelled, "waited": self.wait.n, "wait_mean_min": m(self.wait.mean),
               "wait_p90_min": m(self.wait.p90), "wait_max_min": m(self.wait.max),
               "handled": self.handle.n, "handle_mean_min": m(self.handle.mean),
               "handle_p90_min": m(self.handle.p90), "rated": self.rated}
        out.update({f"r{s}": self.ratings[s] for s in SCORE_LABELS})
        out["satisfaction_pct"] = None if self.satisfaction is None else round(100 * self.satisfaction, 2)
        out.update({"refused_cap": self.refused_cap, "refused_hours": self.refused_hours,
                    "refused_printer": self.refused_printer})
        return out


#: The flat columns with their Chinese and English headings, in display order.
COLUMNS: list[tuple[str, str, str]] = [
    ("key", "编号", "Key"), ("label", "名称", "Name"),
    ("issued", "取号", "Issued"), ("served", "办结", "Served"), ("no_show", "过号", "No-shows"),
    ("transfers", "转办", "Transfers"), ("expired", "过期", "Expired"), ("cancelled", "作废", "Cancelled"),
    ("waited", "等候人次", "Waited"), ("wait_mean_min", "平均等候(分)", "Wait mean (min)"),
    ("wait_p90_min", "P90等候(分)", "Wait p90 (min)"), ("wait_max_min", "最长等候(分)", "Wait max (min)"),
    ("handled", "办理人次", "Handled"), ("handle_mean_min", "平均办理(分)", "Handling mean (min)"),
    ("handle_p90_min", "P90办理(分)", "Handling p90 (min)"), ("rated", "评价数", "Rated"),
    ("r5", "非常满意", "Very satisfied"), ("r4", "满意", "Satisfied"), ("r3", "基本满意", "Fairly satisfied"),
    ("r2", "不满意", "Dissatisfied"), ("r1", "非常不满意", "Very dissatisfied"),
    ("satisfaction_pct", "满意率(%)", "Satisfaction (%)"),
    ("refused_cap", "限号拒号", "Refused: cap"), ("refused_hours", "非办理时段拒号", "Refused: hours"),
    ("refused_printer", "打印失败", "Refused: printer"),
]
