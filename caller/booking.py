"""Booking the next visit for the citizen at the window (预约), from the software caller.

:class:`BookingForm` holds no Qt: the window's services that take bookings, the days
and slots the hall offers (through :class:`hall.port.Hall`, so a window PC on the hall
server books through the API), and the booking itself. :class:`BookingDialog` is the
form on screen: service, day, slot (with the places left), name, mobile number and ID
number, then the booking code in large type for the citizen to note or photograph.
The ID number is sent once and never shown again (only its last 4 characters).
"""
from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPushButton, QVBoxLayout)

from hall import HallError

FONTS = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif'
WEEK_ZH = "一二三四五六日"


def booking_services(config, window) -> list[str]:
    """The window's services that have booking slots, in the window's order."""
    have = {t.service for t in getattr(getattr(config, "booking", None), "slots", [])}
    return [s for s in window.services if s in have]


def day_label(d: date) -> str:
    return f"{d.month}月{d.day}日 周{WEEK_ZH[d.weekday()]}"


class BookingForm:
    """The booking form without widgets."""

    def __init__(self, hall, window: int):
        self.hall = hall
        self.window = window
        self.services = booking_services(hall.config, hall.config.window(window))

    def service_name(self, code: str) -> str:
        return self.hall.config.service(code).name

    def days(self) -> list[date]:
        return self.hall.booking_days()

    def slots(self, service: str, day: date) -> list[dict]:
        return self.hall.booking_slots(service, day)

    def book(self, service: str, slot: dict, name: str, mobile: str, id_number: str):
        return self.hall.book(service, datetime.fromisoformat(slot["start"]), name, mobile, id_number,
                              channel="staff", by=f"window:{self.window}")


class BookingDialog(QDialog):
    """The booking form of the software caller."""

    def __init__(self, form: BookingForm, service: str | None = None, parent=None):
        super().__init__(parent)
        self.form = form
        self.booked = None
        self.setWindowTitle(f"预约下次办理 · {form.window}号窗口")
        self.setStyleSheet(f"""
            QDialog {{ background: #1E2530; }}
            QLabel {{ color: #E8EDF3; font-family: {FONTS}; font-size: 22px; }}
            QLabel#result {{ color: #FFC83D; font-size: 24px; }}
            QLabel#code {{ color: #FFC83D; font-family: "DejaVu Sans Mono", monospace; font-size: 44px;
                           font-weight: bold; }}
            QLabel#error {{ color: #FF8A80; font-size: 22px; }}
            QComboBox, QLineEdit, QListWidget {{ font-family: {FONTS}; font-size: 22px; min-height: 40px; }}
            QPushButton {{ font-family: {FONTS}; font-size: 24px; min-height: 56px; min-width: 120px;
                           border-radius: 8px; background: #D7DEE8; color: #111; }}
            QPushButton#book {{ background: #1F7A3A; color: white; }}
        """)
        layout = QVBoxLayout(self)
        top = QFormLayout()
        self.service_box = QComboBox()
        for code in form.services:
            self.service_box.addItem(f"{code} {form.service_name(code)}", code)
        if service in form.services:
            self.service_box.setCurrentIndex(form.services.index(service))
        self.day_box = QComboBox()
        self.slot_list = QListWidget()
        self.name = QLineEdit(placeholderText="姓名")
        self.mobile = QLineEdit(placeholderText="11位手机号码", maxLength=11)
        self.id_number = QLineEdit(placeholderText="18位身份证号码", maxLength=18)
        top.addRow("业务", self.service_box)
        top.addRow("日期", self.day_box)
        layout.addLayout(top)
        layout.addWidget(QLabel("时段（剩余号数）"))
        layout.addWidget(self.slot_list, 1)
        person = QFormLayout()
        person.addRow("姓名", self.name)
        person.addRow("手机", self.mobile)
        person.addRow("身份证", self.id_number)
        layout.addLayout(person)
        self.error = QLabel(objectName="error", wordWrap=True)
        self.result = QLabel(objectName="result", wordWrap=True, alignment=Qt.AlignCenter)
        self.result.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.result.setMinimumHeight(72)
        self.code = QLabel(objectName="code", alignment=Qt.AlignCenter)
        self.code.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.error)
        layout.addWidget(self.result)
        layout.addWidget(self.code)
        buttons = QHBoxLayout()
        self.book_button = QPushButton("预约", objectName="book")
        self.close_button = QPushButton("关闭")
        buttons.addWidget(self.book_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self.book_button.clicked.connect(self.submit)
        self.close_button.clicked.connect(self.accept)
        self.service_box.currentIndexChanged.connect(lambda _: self.load_slots())
        self.day_box.currentIndexChanged.connect(lambda _: self.load_slots())
        self.load_days()

    def _say(self, e: Exception) -> None:
        self.error.setText(getattr(e, "zh", None) or str(e))

    def load_days(self) -> None:
        try:
            days = self.form.days()
        except HallError as e:
            return self._say(e)
        self.day_box.blockSignals(True)
        self.day_box.clear()
        for d in days:
            self.day_box.addItem(day_label(d), d)
        self.day_box.blockSignals(False)
        self.load_slots()

    def load_slots(self) -> None:
        self.slot_list.clear()
        service, day = self.service_box.currentData(), self.day_box.currentData()
        if not service or day is None:
            return
        try:
            slots = self.form.slots(service, day)
        except HallError as e:
            return self._say(e)
        for s in slots:
            item = QListWidgetItem(f"{s['label']}    剩余 {s['left']}" if s["open"] else f"{s['label']}    已满/已截止")
            item.setData(Qt.UserRole, s)
            if not s["open"]:
                item.setFlags(item.flags() & ~Qt.ItemIsEnabled & ~Qt.ItemIsSelectable)
            self.slot_list.addItem(item)
        first = next((i for i in range(self.slot_list.count()) if self.slot_list.item(i).data(Qt.UserRole)["open"]),
                     None)
        if first is not None:
            self.slot_list.setCurrentRow(first)

    def submit(self) -> None:
        item = self.slot_list.currentItem()
        if item is None:
            self.error.setText("请选择时段")
            return
        try:
            b = self.form.book(self.service_box.currentData(), item.data(Qt.UserRole), self.name.text(),
                               self.mobile.text(), self.id_number.text())
        except HallError as e:
            return self._say(e)
        self.booked = b
        self.error.setText("")
        self.id_number.clear()
        self.result.setText(f"预约成功：{b.service_name} {b.start[:10]} {b.start[11:]}-{b.end[11:]}\n"
                            "请凭预约码或身份证到取号机签到")
        self.code.setText(f"预约码 {b.code}")
        self.load_slots()
