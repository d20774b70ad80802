"""The ``format`` keywords of the dialect, checked the same way by every backend.

jsonschema's FormatChecker checks ``email`` only for an ``@`` and ``uri`` not at all
without optional packages; jsonschema-rs accepts display names in e-mail addresses and
``javascript:`` URIs. So both validators get these functions (``FORMAT_CHECKS``), and a
stored value means the same thing whichever validator checked it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from jsonschema import FormatChecker

from form_engine.fields.parsing import is_date, is_utc_datetime

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?"
_TLD = r"(?:[^\W\d_]{2,63}|[xX][nN]--[a-zA-Z0-9-]{1,59})"
# One pattern: local part (dot-atom), then labels and a letters-only (or punycode) TLD.
_EMAIL = re.compile(rf"({_ATEXT}(?:\.{_ATEXT})*)@(?:{_LABEL}\.)+{_TLD}")
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.IGNORECASE)
# Longer addresses are refused outright (and are not worth parsing): url fields allow 2000.
MAX_URL_LENGTH = 2000
_IPV4 = re.compile(r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}")


def is_email(text: str) -> bool:
    """A plain mailbox ``local@domain.tld`` (no display name, no IP literal, a TLD)."""
    if len(text) > 254:
        return False
    match = _EMAIL.fullmatch(text)
    return match is not None and len(match.group(1)) <= 64


def is_http_url(text: str) -> bool:
    """An absolute ``http``/``https`` URL with a host, ASCII only (IDN hosts in
    punycode, paths percent-encoded) and no spaces."""
    if len(text) > MAX_URL_LENGTH or not text.isascii():
        return False
    if any(ch.isspace() or ord(ch) < 32 or ch == "\x7f" for ch in text):
        return False
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 -- raises ValueError for a bad port
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname
    if ":" in host or _IPV4.fullmatch(host):
        return True  # IPv6 (urlsplit checked the brackets) or IPv4
    return all(_HOST.fullmatch(label) for label in host.rstrip(".").split("."))


FORMAT_CHECKS: Mapping[str, Callable[[str], bool]] = {
    "date": is_date,
    "date-time": is_utc_datetime,
    "email": is_email,
    "uri": is_http_url,
}


def for_any_value(check: Callable[[str], bool]) -> Callable[[object], bool]:
    """A format check that passes non-strings (formats only constrain strings)."""

    def run(value: object) -> bool:
        return not isinstance(value, str) or check(value)

    return run


def format_checker() -> FormatChecker:
    """jsonschema's FormatChecker with exactly the dialect's formats."""
    checker = FormatChecker(formats=())
    for name, check in FORMAT_CHECKS.items():
        checker.checks(name)(for_any_value(check))
    return checker
