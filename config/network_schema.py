"""The hall on its network, as a hall file configures it: ``[server]`` (the hall API and
the citizens' pages), ``[client]`` (a PC that uses the hall through it), ``[notify]`` (the
reminders' gateway) and ``[city]`` (shipping to the city's PostgreSQL). Part of
:mod:`config.schema`, which re-exports every name."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from .invalid import Invalid
from .schema_base import ReferenceError_, Strict
from .urls import http_address, http_headers


class Server(Strict):
    """`jiaohao serve` as the hall's server: the hall API and its event stream (docs/api.md).

    Without a ``[server]`` section nothing listens and `serve` runs the devices only."""

    listen: str  # "HOST:PORT": "0.0.0.0:8080" for the hall LAN, "127.0.0.1:8080" for this PC only
    keepalive_seconds: float = Field(15.0, ge=0.5, le=300)  # SSE comment lines on a quiet stream
    session_hours: float = Field(12.0, gt=0, le=168)  # a staff login (software caller) lasts this long
    login_attempts: int = Field(5, ge=1, le=50)  # failed logins of one staff number before a lock-out
    login_lockout_seconds: int = Field(60, ge=5, le=3600)  # the first lock-out; each next one doubles
    max_clock_skew_s: float = Field(120.0, ge=1, le=86400)  # a device's clock further off is flagged
    # the citizens' pages only (docs/web.md), e.g. "0.0.0.0:8081" behind the hall's proxy;
    # no /api/v1 route answers there. Empty: the citizens' pages are on `listen` only
    public_listen: str = ""
    # the base URL printed in ticket QR codes (the citizens' pages, e.g. behind the government's
    # proxy, "https://hall.example.gov.cn"); "" makes it from public_listen (else listen) with
    # this PC's LAN address: hall/public_url.py
    public_url: str = ""
    # addresses of reverse proxies whose X-Forwarded-For names the citizen (rate limits per phone)
    trusted_proxies: list[str] = Field(default_factory=list)

    @field_validator("listen", "public_listen")
    @classmethod
    def _host_port(cls, v: str, info) -> str:
        if not v and info.field_name == "public_listen":
            return v
        host, sep, port = v.rpartition(":")
        if not sep or not host.strip() or not port.isascii() or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise Invalid(f"{info.field_name} must be HOST:PORT, e.g. \"0.0.0.0:8080\", not {v!r}",
                          f"{info.field_name} 须写成 主机:端口，如 \"0.0.0.0:8080\"，不是 {v!r}")
        return v

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, v: str) -> str:
        return http_address(v, "public_url").rstrip("/") if v else v

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, v: list[str]) -> list[str]:
        import ipaddress
        for p in v:
            try:
                ipaddress.ip_network(p.strip(), strict=False)
            except ValueError:  # every phone page answered 500 once the list was first used
                raise Invalid(f"{p!r} is not an IP address or network, e.g. \"10.0.0.5\" or \"10.0.0.0/24\"",
                              f"{p!r} 不是 IP 地址或网段，如 \"10.0.0.5\" 或 \"10.0.0.0/24\"") from None
        return [p.strip() for p in v]

    @model_validator(mode="after")
    def _two_listeners(self) -> "Server":
        if self.public_listen:
            (h1, p1), (h2, p2) = (a.rpartition(":")[::2] for a in (self.listen, self.public_listen))
            if p1 == p2 and (h1 == h2 or "0.0.0.0" in (h1, h2) or "[::]" in (h1, h2)):
                raise ReferenceError_(("public_listen",), f"public_listen {self.public_listen!r} is the port of "
                                      f"listen {self.listen!r}: the citizens' pages need a port of their own",
                                      f"public_listen {self.public_listen!r} 与 listen {self.listen!r} 是同一个端口："
                                      "群众用的页面要有自己的端口")
        return self

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])


class Notify(Strict):
    """叫号提醒 to a citizen's mobile: JSON POSTs to the hall's SMS gateway or WeChat
    template-message sender, through the outbox (hall/outbox.py; docs/phone.md)."""

    webhook: str = ""  # "http://…": where each reminder is POSTed; "" sends none (they wait in the outbox)
    headers: dict[str, str] = Field(default_factory=dict)  # e.g. {Authorization = "Bearer …"} for the gateway
    timeout_s: float = Field(10.0, gt=0, le=120)
    ahead: int = Field(3, ge=0, le=50)  # default "remind me when N are ahead"

    @field_validator("webhook")
    @classmethod
    def _webhook(cls, v: str) -> str:
        return http_address(v, "webhook") if v else v

    @field_validator("headers")
    @classmethod
    def _headers(cls, v: dict[str, str]) -> dict[str, str]:
        return http_headers(v)


class Client(Strict):
    """A kiosk, window PC, screen or script that uses the hall through `jiaohao serve`.

    Empty ``server``: this PC opens the queue database itself (one-computer hall)."""

    server: str = ""  # e.g. "http://192.168.1.10:8080"; --server and JIAOHAO_SERVER win
    token_file: str = ""  # this device's token (`jiaohao devices add`); JIAOHAO_TOKEN wins
    timeout_s: float = Field(3.0, gt=0, le=60)  # one request; then the client says the server is unreachable
    heartbeat_s: float = Field(10.0, ge=0.2, le=300)  # kiosks, screens and callers report to the server this often

    @field_validator("server")
    @classmethod
    def _http_url(cls, v: str) -> str:
        return http_address(v, "server", "\"http://192.168.1.10:8080\"").rstrip("/") if v else v


class City(Strict):
    """Shipping this hall's records to the city's PostgreSQL (docs/city.md).

    Empty ``database``: nothing is shipped. The password is never in this file: it is
    read from ``password_file`` or the JIAOHAO_CITY_PASSWORD environment variable (or
    libpq's own ~/.pgpass and client certificates)."""

    database: str = ""  # "postgresql://hall_xinbei@city-db.example:5432/city?sslmode=verify-full"
    hall_code: str = ""  # this hall's code in the city, e.g. "320411001": the key of every record shipped
    password_file: str = ""  # a file holding the password of the database user (mode 0600)
    batch_size: int = Field(2000, ge=10, le=100_000)  # events read from the log per city transaction
    interval_seconds: float = Field(5.0, ge=0.2, le=3600)  # how often serve looks for new events
    retry_max_seconds: float = Field(300.0, ge=1, le=86400)  # back-off ceiling while the city is unreachable
    connect_timeout_s: float = Field(10.0, gt=0, le=120)

    @field_validator("database")
    @classmethod
    def _postgres_url(cls, v: str) -> str:
        v = v.strip()
        if not v:
            return v
        m = re.fullmatch(r"postgres(?:ql)?://([^@/?#]*@)?[^\s/?#]+(/[^\s?#]*)?(\?\S*)?", v)
        if not m:
            example = "\"postgresql://hall_xinbei@city-db:5432/city?sslmode=verify-full\""
            raise Invalid(f"database must be a postgresql:// address, e.g. {example}, not {v!r}",
                          f"database 须为 postgresql:// 地址，如 {example}，不是 {v!r}")
        try:
            urlsplit(v).port  # noqa: B018 - ValueError for a port out of range or not a number
        except ValueError:
            raise Invalid(f"database {v!r} has a bad port number (1-65535, e.g. 5432)",
                          f"database {v!r} 的端口号不对（1-65535，如 5432）") from None
        if (m.group(1) and ":" in m.group(1)) or re.search(r"[?&]password=", v):
            raise Invalid("database must not hold the password: put it in password_file "
                          "or the JIAOHAO_CITY_PASSWORD environment variable",
                          "database 里不能写密码：请放在 password_file 或环境变量 JIAOHAO_CITY_PASSWORD 里")
        return v

    @field_validator("hall_code")
    @classmethod
    def _code(cls, v: str) -> str:
        if v and not re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", v):
            raise Invalid(f"hall_code must be 1-32 letters, digits, '-', '_' or '.', not {v!r}",
                          f"hall_code 须为 1-32 个字母、数字、'-'、'_' 或 '.'，不是 {v!r}")
        return v

    @model_validator(mode="after")
    def _code_with_database(self) -> "City":
        if self.database and not self.hall_code:
            raise ReferenceError_(("hall_code",), "hall_code is required with database "
                                  "(this hall's code in the city, e.g. \"320411001\")",
                                  "写了 database 就要写 hall_code（本大厅在市里的代码，如 \"320411001\"）")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.database)
