"""Errors of the queue core. Each message is one plain sentence for the person who acted,
in English (``str(e)``) and in Chinese (``e.zh``), so every client can show it in words."""


class HallError(Exception):
    """Root of every refusal the queue gives. ``zh``: the same sentence in Chinese (the
    English one when a raise site has none)."""

    code = "error"

    def __init__(self, message: str = "", *, zh: str = ""):
        super().__init__(message)
        self.zh = zh or message


class UnknownService(HallError):
    code = "unknown_service"


class UnknownWindow(HallError):
    code = "unknown_window"


class UnknownTicket(HallError):
    code = "unknown_ticket"


class ServiceClosed(HallError):
    """Outside the service's opening periods."""

    code = "closed"


class DailyCapReached(HallError):
    """The service's 限号 for today is used up."""

    code = "cap"


class WindowNotReady(HallError):
    """The window cannot do that now (paused, closed, nothing current)."""

    code = "window_state"


class InvalidArgument(HallError):
    code = "invalid"


class DatabaseProblem(HallError):
    """The queue database cannot be used as it is: which file, what is wrong, what to do.

    ``kind`` names the problem for scripts and tests (``folder_missing``, ``not_a_file``,
    ``empty``, ``not_sqlite``, ``not_jiaohao``, ``foreign_wal``, ``corrupt``, ``busy``,
    ``readonly``, ``full``, ``cannot_open``, ``io``, ``missing``, ``newer``).
    """

    code = "database"

    def __init__(self, kind: str, path: str, what: str, fix: str):
        what, fix = " ".join(what.split()), " ".join(fix.split())  # always one line
        self.kind, self.path, self.what, self.fix = kind, str(path), what, fix
        super().__init__(f"queue database {path}: {what}; {fix}",
                         zh=f"排队数据库暂时无法使用（{kind}），请联系技术人员：{path}: {what}")


class UnknownDevice(HallError):
    code = "unknown_device"


class UnknownStaff(HallError):
    code = "unknown_staff"


class LoginRefused(HallError):
    """A staff login refused: ``code`` ``bad_login`` (unknown staff number, wrong password,
    disabled: one answer for all) or ``too_many_attempts`` (come back in ``retry_after`` s)."""

    code = "bad_login"

    def __init__(self, code: str, retry_after: int, message: str, *, zh: str = ""):
        super().__init__(message, zh=zh)
        self.code = code
        self.retry_after = retry_after


class IdempotencyMismatch(HallError):
    """An Idempotency-Key used again for a different request (method, path or body)."""

    code = "idempotency_mismatch"
