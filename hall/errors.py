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
        super().__init__(f"排队数据库 (queue database) {path}: {what}; {fix}",
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


# -- refusals of the hall API as its clients see them (hall.remote) ----------------------
class RemoteError(HallError):
    """A refusal or failure of the hall's server. ``message_zh`` is what the person who acted
    reads (Chinese first); ``str()`` is the English sentence, as local refusals are."""

    code = "remote"

    def __init__(self, message_en: str, message_zh: str = "", status: int = 0, code: str | None = None):
        super().__init__(message_en, zh=message_zh)
        self.message_en = message_en
        self.message_zh = self.zh
        self.status = status
        if code:
            self.code = code


class ServerUnreachable(RemoteError):
    """The hall server did not answer (down, wrong address, network cable …)."""

    code = "unreachable"

    def __init__(self, address: str, detail: str = ""):
        self.address = address
        super().__init__(f"cannot reach the hall server at {address}" + (f" ({detail})" if detail else "")
                         + "; check that the controller PC is on and `jiaohao serve` runs, and the network cable",
                         f"连接不上叫号服务器 ({address})", code="unreachable")


class NotAuthorized(RemoteError):
    """401: no token, or a wrong, expired or revoked one."""

    code = "unauthorized"


class Forbidden(RemoteError):
    """403: this device or person may not do that."""

    code = "forbidden"


class TooManyAttempts(RemoteError):
    """429: failed logins; ``retry_after`` seconds until the next try."""

    code = "too_many_attempts"

    def __init__(self, message_en: str, message_zh: str = "", status: int = 429, code: str | None = None,
                 retry_after: float = 0.0):
        super().__init__(message_en, message_zh, status, code)
        self.retry_after = retry_after


class ServerProblem(RemoteError):
    """The server answered but cannot act now (5xx, its database unusable, a broken answer)."""

    code = "server"
