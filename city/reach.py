"""Why the city database could not be used, in one line, and whether trying again later
may help (the city down, a network outage: exit 75) or a person must fix something first
(a wrong password, an unknown host or database: exit 2)."""
from __future__ import annotations

import socket

# libpq's words for a city that did not answer: the network or the server, not the hall
_TEMPORARY = (
    ("connection refused", "connection refused (is PostgreSQL running there?)"),
    ("timeout expired", "no answer within the connect time-out"),
    ("timed out", "no answer within the connect time-out"),
    ("no route to host", "no route to host"),
    ("network is unreachable", "network unreachable"),
    ("temporary failure in name resolution", "its name could not be looked up now (DNS)"),
    ("the database system is starting up", "PostgreSQL is starting up"),
    ("the database system is shutting down", "PostgreSQL is shutting down"),
    ("the database system is in recovery mode", "PostgreSQL is recovering"),
    ("too many clients", "PostgreSQL has too many connections"),
    ("remaining connection slots are reserved", "PostgreSQL has too many connections"),
    ("server closed the connection unexpectedly", "the server closed the connection"),
    ("connection reset", "the connection was reset"),
    ("could not receive data", "the connection broke"),
    ("could not send data", "the connection broke"),
    ("terminating connection", "the server ended the connection"),
)
# ... and for what a person must fix: trying again changes nothing
_PERMANENT = (
    ("password authentication failed", "check the password ([city] password_file or JIAOHAO_CITY_PASSWORD)"),
    ("no password supplied", "set [city] password_file or JIAOHAO_CITY_PASSWORD"),
    ("no pg_hba.conf entry", "the city's pg_hba.conf must let this hall PC and user in"),
    ("does not exist", "check the user and database in the address"),
    ("name or service not known", "no such host name: check the address"),
    ("nodename nor servname", "no such host name: check the address"),
    ("certificate", "check the TLS certificates"),
    ("ssl was required", "check sslmode in the address"),
    ("does not support ssl", "check sslmode in the address"),
)


def where(url: str) -> str:
    """``host:port`` of a postgresql:// address (``?`` when it cannot be read)."""
    try:
        from psycopg.conninfo import conninfo_to_dict
        params = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 - a malformed address: its own error says more
        return "?"
    host = params.get("host") or params.get("hostaddr") or socket.gethostname()
    return f"{host}:{params.get('port') or 5432}"


def classify(e: BaseException) -> tuple[bool, str]:
    """(temporary, reason) for a psycopg error, the reason in one short English line."""
    text = " ".join(str(e).split())
    low = text.lower()
    if type(e).__name__ == "ConnectionTimeout":
        return True, "no answer within the connect time-out"
    for needle, hint in _PERMANENT:
        if needle in low:
            return False, f"{_tail(text)}; {hint}"
    for needle, reason in _TEMPORARY:
        if needle in low:
            return True, reason
    import psycopg
    # anything else that broke the link (OperationalError) is the network's or the server's
    return isinstance(e, (psycopg.OperationalError, psycopg.InterfaceError)), _tail(text)


def _tail(text: str) -> str:
    """libpq's reason without its 'connection to server at "h", port p failed:' lead."""
    head = text.rsplit(" failed: ", 1)
    tail = (head[1] if len(head) == 2 else text).removeprefix("FATAL: ")
    return tail or "unknown error"
