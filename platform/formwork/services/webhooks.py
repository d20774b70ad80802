"""Outgoing webhooks: check the address, sign the body, make one POST.

Delivery is **at least once**. An automation step calls :func:`deliver` outside any
database transaction and records the result afterwards; when the worker dies during the
call, or the call fails with a retryable error, the step is tried again with the *same*
``Idempotency-Key`` (``run-<id>-step-<n>``), so the receiver can drop the duplicate.

Safety (DESIGN §10):

* Only ``http``/``https`` URLs without credentials. Every address the host name resolves
  to must be public: private, loopback, link-local, multicast, reserved, unspecified and
  shared (CGNAT) addresses are refused — IPv4 and IPv6, including IPv4 addresses wrapped
  in IPv6 (``::ffff:10.0.0.1``, 6to4, NAT64) — unless the workspace's admin allowed
  private webhooks.
* The connection goes to the address that was checked, not to a second DNS answer: the
  socket is opened to the checked IP while the ``Host`` header, TLS SNI and certificate
  check use the URL's name. A DNS-rebinding trick (public answer for the check, private
  one for the connect) therefore has no window.
* Redirects are never followed (a redirect could point at a private address): a 3xx
  answer is a failure that is not retried.
* The response body is read up to 64 KB and within the timeout as a whole (a server
  dripping bytes cannot hold the worker); an excerpt of at most 500 characters is kept.

Signature: ``X-Formwork-Signature: sha256=<hex>``, the HMAC-SHA256 of
``"<X-Formwork-Timestamp>." + body`` with the webhook's secret. Receivers should check
it with a constant-time comparison and refuse old timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from formwork.services.errors import Invalid, PlatformError

USER_AGENT = "Formwork-Webhook/1"
RESPONSE_MAX_BYTES = 64 * 1024
EXCERPT_MAX = 500
# Addresses tried when a name resolves to several (each may take the full timeout).
MAX_ADDRESSES = 3

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class WebhookFailed(PlatformError):
    """The call did not succeed. ``retryable``: trying again later may help."""

    def __init__(self, message: Any, *, retryable: bool, status: int | None = None) -> None:
        super().__init__(message, field=None)
        self.retryable = retryable
        self.status = status


class WebhookRefused(WebhookFailed, Invalid):
    """The URL is not allowed (scheme, credentials, private address…); never retried."""

    def __init__(self, message: Any) -> None:
        PlatformError.__init__(self, message, field="url")
        self.retryable = False
        self.status = None


@dataclass(frozen=True)
class DeliveryResult:
    status: int
    elapsed_ms: int
    response_excerpt: str


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    path: str


def _parse(url: str) -> _Target:
    if any(char.isspace() or ord(char) < 32 for char in url):
        raise WebhookRefused(_l("The webhook URL must not contain spaces or line breaks."))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise WebhookRefused(_l("Webhook URLs must start with https:// or http://."))
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise WebhookRefused(
            _l("Webhook URLs must not contain a user name or password; use the secret.")
        )
    host = parts.hostname
    if not host:
        raise WebhookRefused(_l("The webhook URL has no host name."))
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise WebhookRefused(_l("The webhook URL has an invalid port.")) from exc
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return _Target(scheme, host, port, path)


def is_public(address: IPAddress) -> bool:
    """Whether a webhook may call ``address`` without the workspace's permission."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is not None and not is_public(embedded):
            return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def check_url(url: str, *, allow_private: bool) -> list[str]:
    """Resolve the URL's host; the addresses it may be called at.

    Raises:
        WebhookRefused: not http(s), credentials in the URL, the host does not resolve,
            or (unless ``allow_private``) one of its addresses is not public.
    """
    target = _parse(url)
    return _resolve(target, allow_private=allow_private)


def _resolve(target: _Target, *, allow_private: bool) -> list[str]:
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise WebhookRefused(
            _l("The webhook host “%(host)s” could not be found.", host=target.host[:100])
        ) from exc
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise WebhookRefused(
            _l("The webhook host “%(host)s” could not be found.", host=target.host[:100])
        )
    if not allow_private:
        for text in addresses:
            if not is_public(ipaddress.ip_address(text)):
                raise WebhookRefused(
                    _l(
                        "The webhook address %(address)s is private, local or reserved. "
                        "An admin can allow private addresses in the workspace settings.",
                        address=text,
                    )
                )
    return addresses


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``b"<timestamp>." + body``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def encode(payload: Mapping[str, Any]) -> bytes:
    """The request body: compact JSON with sorted keys (dates become ISO text)."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    ).encode()


def _json_default(value: Any) -> Any:
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return isoformat()
    return str(value)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a checked IP; the Host header still names the URL's host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.pinned_address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.pinned_address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to a checked IP with the URL's host name for SNI and the certificate check."""

    def __init__(
        self, host: str, port: int, *, address: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.pinned_address = address
        self.tls_context = context

    def connect(self) -> None:
        sock = socket.create_connection((self.pinned_address, self.port), self.timeout)
        self.sock = self.tls_context.wrap_socket(sock, server_hostname=self.host)


def deliver(
    url: str,
    payload: Mapping[str, Any],
    *,
    secret: str | None,
    idempotency_key: str,
    allow_private: bool,
    timeout: float = 10.0,
) -> DeliveryResult:
    """POST ``payload`` as signed JSON to ``url``; a 2xx answer is success.

    Raises:
        WebhookRefused: the URL is not allowed (not retryable).
        WebhookFailed: timeout, connection error, 5xx, 408, 429 (retryable); any other
            answer, redirects included (not retryable).
    """
    target = _parse(url)
    addresses = _resolve(target, allow_private=allow_private)
    body = encode(payload)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Accept": "*/*",
        "Idempotency-Key": idempotency_key,
        "X-Formwork-Timestamp": str(timestamp),
    }
    if secret:
        headers["X-Formwork-Signature"] = sign(secret, body, timestamp)
    if any(char in value for value in headers.values() for char in "\r\n"):
        raise WebhookFailed(_l("The webhook headers are not valid."), retryable=False)

    started = time.monotonic()
    deadline = started + timeout
    last_error: OSError | None = None
    for address in addresses[:MAX_ADDRESSES]:
        connection = _connection(target, address, timeout)
        try:
            try:
                connection.connect()
            except TimeoutError as exc:
                last_error = exc
                continue
            except ssl.SSLCertVerificationError as exc:
                raise WebhookFailed(
                    _l(
                        "The webhook server's TLS certificate is not valid: %(error)s",
                        error=str(exc)[:200],
                    ),
                    retryable=False,
                ) from exc
            except OSError as exc:
                last_error = exc
                continue
            status, excerpt = _exchange(connection, target, headers, body, deadline, timeout)
        finally:
            connection.close()
        return _result(status, excerpt, started)
    if isinstance(last_error, TimeoutError):
        raise WebhookFailed(
            _l("The webhook timed out after %(seconds)s seconds.", seconds=_seconds(timeout)),
            retryable=True,
        ) from last_error
    raise WebhookFailed(
        _l("Could not connect to the webhook server: %(error)s", error=str(last_error)[:200]),
        retryable=True,
    ) from last_error


def _connection(target: _Target, address: str, timeout: float) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return _PinnedHTTPSConnection(
            target.host,
            target.port,
            address=address,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
    return _PinnedHTTPConnection(target.host, target.port, address=address, timeout=timeout)


def _exchange(
    connection: http.client.HTTPConnection,
    target: _Target,
    headers: Mapping[str, str],
    body: bytes,
    deadline: float,
    timeout: float,
) -> tuple[int, str]:
    try:
        connection.request("POST", target.path, body=body, headers=dict(headers))
        response = connection.getresponse()
        data = _read_capped(response, deadline)
    except TimeoutError as exc:
        raise WebhookFailed(
            _l("The webhook timed out after %(seconds)s seconds.", seconds=_seconds(timeout)),
            retryable=True,
        ) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise WebhookFailed(
            _l("The webhook call failed: %(error)s", error=exc.__class__.__name__),
            retryable=True,
        ) from exc
    return response.status, data.decode("utf-8", "replace")[:EXCERPT_MAX]


def _read_capped(response: http.client.HTTPResponse, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < RESPONSE_MAX_BYTES:
        if time.monotonic() > deadline:
            raise TimeoutError("response took longer than the timeout")
        chunk = response.read1(min(8192, RESPONSE_MAX_BYTES - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _result(status: int, excerpt: str, started: float) -> DeliveryResult:
    elapsed_ms = int((time.monotonic() - started) * 1000)
    if 200 <= status < 300:
        return DeliveryResult(status=status, elapsed_ms=elapsed_ms, response_excerpt=excerpt)
    if 300 <= status < 400:
        raise WebhookFailed(
            _l(
                "The webhook answered with a redirect (%(status)s); redirects are not followed.",
                status=status,
            ),
            retryable=False,
            status=status,
        )
    retryable = status >= 500 or status in {408, 429}
    raise WebhookFailed(
        _l("The webhook answered %(status)s: %(excerpt)s", status=status, excerpt=excerpt[:200]),
        retryable=retryable,
        status=status,
    )


def _seconds(value: float) -> str:
    return f"{value:g}"
