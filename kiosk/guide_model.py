"""What the kiosk's guide screens show, without Qt: browse by zone or department, search.

:class:`GuideBrowser` holds the citizen's place in the guide (grouping, the group opened,
the letters typed, the page, the item opened); the screens draw :meth:`rows` and report
taps back. Letters typed on the on-screen keyboard search by pinyin initials or full
pinyin; a scanned or typed item code finds the item too.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One line of the guide's list: a group to open or an item to show."""

    kind: str  # "group" | "item"
    key: str  # the group's name or the item's code
    title: str
    detail: str = ""


class GuideBrowser:
    """The citizen's place in the guide."""

    def __init__(self, guide, per_page: int = 8):
        self.guide = guide
        self.per_page = per_page
        self.reset()

    def reset(self) -> None:
        self.by = "zone"
        self.group: str | None = None
        self.query = ""
        self.page = 0
        self.item: str | None = None

    # -- taps -----------------------------------------------------------------------
    def set_by(self, by: str) -> None:
        self.by, self.group, self.page = by, None, 0

    def type_key(self, key: str) -> None:
        if key == "back":
            self.query = self.query[:-1]
        elif key == "clear":
            self.query = ""
        elif len(key) == 1 and len(self.query) < 20:
            self.query += key.lower()
        self.page = 0

    def open_group(self, key: str) -> None:
        self.group, self.page, self.query = key, 0, ""

    def up(self) -> bool:
        """Back one level inside the list (search → groups, group → groups); False at the top."""
        if self.query:
            self.query, self.page = "", 0
            return True
        if self.group is not None:
            self.group, self.page = None, 0
            return True
        return False

    def turn(self, delta: int) -> None:
        self.page = max(0, min(self.page + delta, self.pages() - 1))

    # -- what to draw ---------------------------------------------------------------
    def all_rows(self, english: bool = False) -> list[Row]:
        g = self.guide
        if self.query:
            return [self._item_row(e, english) for e in g.search(self.query)]
        groups = g.groups(self.by)
        if self.group is None:
            return [Row("group", key, key, str(len(items))) for key, items in groups]
        items = dict(groups).get(self.group, [])
        return [self._item_row(e, english) for e in items]

    def _item_row(self, e, english: bool) -> Row:
        name = (e.name_en or e.name) if english else e.name
        where = self.guide.zone(e) if self.by == "department" or self.query else e.department
        return Row("item", e.code, name, where)

    def pages(self, english: bool = False) -> int:
        return max(1, -(-len(self.all_rows(english)) // self.per_page))

    def rows(self, english: bool = False) -> list[Row]:
        rows = self.all_rows(english)
        self.page = max(0, min(self.page, max(1, -(-len(rows) // self.per_page)) - 1))
        return rows[self.page * self.per_page:(self.page + 1) * self.per_page]
