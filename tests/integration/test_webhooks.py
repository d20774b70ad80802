"""Webhooks against a real local HTTP server: signing, refusals, retryable failures; and
the workspace setting that allows private addresses."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from formwork import db
from formwork.models import AuditEvent, Role, Workspace
from formwork.services import webhooks
from formwork.services.webhooks import WebhookFailed, WebhookRefused
from tests.conftest import Auth, Factory


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Hooks:
    base: str
    port: int
    received: list[Received] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.server.received.append(Received(self.path, dict(self.headers.items()), body))
        route = self.path.split("?", 1)[0]
        if route == "/slow":
            time.sleep(1.5)
        status, extra, payload = {
            "/ok": (200, {}, b'{"ok":true}'),
            "/created": (201, {}, b""),
            "/fail": (500, {}, b"database down"),
            "/busy": (429, {"Retry-After": "30"}, b"slow down"),
            "/late": (408, {}, b""),
            "/missing": (404, {}, b"no such hook"),
            "/redirect": (302, {"Location": "/ok"}, b""),
            "/big": (200, {}, b"x" * 300_000),
            "/slow": (200, {}, b"finally"),
        }.get(route, (200, {}, b"?"))
        try:
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[Received] = []


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        result = Hooks(f"http://127.0.0.1:{port}", port)
        result.received = server.received
        yield result
    finally:
        server.shutdown()
        server.server_close()


def _deliver(url: str, **kwargs: Any) -> webhooks.DeliveryResult:
    options: dict[str, Any] = {
        "secret": "s3cret",
        "idempotency_key": "run-12-step-3",
        "allow_private": True,
        "timeout": 5.0,
        **kwargs,
    }
    return webhooks.deliver(url, {"b": 2, "a": "中文", "when": "2026-11-24"}, **options)


def test_a_signed_post_arrives_with_its_idempotency_key(hooks: Hooks) -> None:
    result = _deliver(f"{hooks.base}/ok?source=formwork")
    assert result.status == 200 and result.response_excerpt == '{"ok":true}'
    assert result.elapsed_ms >= 0
    [request] = hooks.received
    assert request.path == "/ok?source=formwork"
    assert request.body == '{"a":"中文","b":2,"when":"2026-11-24"}'.encode()
    headers = {key.lower(): value for key, value in request.headers.items()}
    assert headers["content-type"].startswith("application/json")
    assert headers["user-agent"] == "Formwork-Webhook/1"
    assert headers["idempotency-key"] == "run-12-step-3"
    timestamp = headers["x-formwork-timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    expected = hmac.new(b"s3cret", timestamp.encode() + b"." + request.body, hashlib.sha256)
    assert hmac.compare_digest(headers["x-formwork-signature"], "sha256=" + expected.hexdigest())
    assert json.loads(request.body) == {"a": "中文", "b": 2, "when": "2026-11-24"}


def test_without_a_secret_there_is_no_signature(hooks: Hooks) -> None:
    assert _deliver(f"{hooks.base}/created", secret=None).status == 201
    assert "X-Formwork-Signature" not in hooks.received[0].headers


def test_sign_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"a":1}'
    digest = hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert webhooks.sign("k", body, 1700000000) == f"sha256={digest}"


def test_loopback_is_refused_unless_private_addresses_are_allowed(hooks: Hooks) -> None:
    with pytest.raises(WebhookRefused) as caught:
        _deliver(f"{hooks.base}/ok", allow_private=False)
    assert caught.value.retryable is False and caught.value.field == "url"
    assert "127.0.0.1" in str(caught.value.message)
    assert hooks.received == []
    assert _deliver(f"{hooks.base}/ok", allow_private=True).status == 200


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/hook",
        "http://172.16.0.1/",
        "http://192.168.1.20/",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8080/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://[::1]/",
        "http://[::]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[2002:a00:1::]/",
        "http://[64:ff9b::a00:1]/",
    ],
)
def test_private_and_special_addresses_are_refused(url: str) -> None:
    with pytest.raises(WebhookRefused):
        webhooks.check_url(url, allow_private=False)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "gopher://example.com/",
        "http://user:pass@example.com/hook",
        "https://token@example.com/",
        "http:///nohost",
        "http://example.com:99999/",
        "http://exa mple.com/",
        "http://example.com/\r\nX-Injected: 1",
    ],
)
def test_bad_urls_are_refused_even_when_private_is_allowed(url: str) -> None:
    with pytest.raises(WebhookRefused) as caught:
        webhooks.check_url(url, allow_private=True)
    assert caught.value.retryable is False


def test_private_addresses_pass_when_allowed() -> None:
    assert webhooks.check_url("http://10.1.2.3/hook", allow_private=True) == ["10.1.2.3"]
    assert webhooks.check_url("http://[::1]:8000/", allow_private=True) == ["::1"]


def _fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> None:
    real = socket.getaddrinfo

    def lookup(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host in answers:
            return [
                (
                    socket.AF_INET6 if ":" in address else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (address, port),
                )
                for address in answers[host]
            ]
        if host.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)


def test_names_are_checked_by_every_address_they_resolve_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fake_dns(
        monkeypatch,
        {
            "hooks.example.com": ["93.184.216.34", "2606:2800:220:1::1"],
            "sneaky.example.com": ["93.184.216.34", "10.0.0.5"],
        },
    )
    assert webhooks.check_url("https://hooks.example.com/x", allow_private=False) == [
        "93.184.216.34",
        "2606:2800:220:1::1",
    ]
    with pytest.raises(WebhookRefused, match=r"10\.0\.0\.5"):
        webhooks.check_url("https://sneaky.example.com/x", allow_private=False)
    with pytest.raises(WebhookRefused, match="could not be found"):
        webhooks.check_url("https://nothing-here.invalid/", allow_private=False)


def test_the_connection_goes_to_the_checked_address_with_the_names_host_header(
    hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_dns(monkeypatch, {"crm-hooks.example.test": ["127.0.0.1"]})
    result = _deliver(f"http://crm-hooks.example.test:{hooks.port}/ok")
    assert result.status == 200
    assert hooks.received[0].headers["Host"] == f"crm-hooks.example.test:{hooks.port}"


@pytest.mark.parametrize(("path", "status"), [("/fail", 500), ("/busy", 429), ("/late", 408)])
def test_server_errors_and_throttling_are_retryable(hooks: Hooks, path: str, status: int) -> None:
    with pytest.raises(WebhookFailed) as caught:
        _deliver(f"{hooks.base}{path}")
    assert caught.value.retryable is True and caught.value.status == status


def test_a_404_is_not_retryable(hooks: Hooks) -> None:
    with pytest.raises(WebhookFailed) as caught:
        _deliver(f"{hooks.base}/missing")
    assert caught.value.retryable is False and caught.value.status == 404
    assert "no such hook" in str(caught.value.message)


def test_a_redirect_is_not_followed(hooks: Hooks) -> None:
    with pytest.raises(WebhookFailed) as caught:
        _deliver(f"{hooks.base}/redirect")
    assert caught.value.retryable is False and caught.value.status == 302
    assert [r.path for r in hooks.received] == ["/redirect"]


def test_a_timeout_is_retryable(hooks: Hooks) -> None:
    started = time.monotonic()
    with pytest.raises(WebhookFailed) as caught:
        _deliver(f"{hooks.base}/slow", timeout=0.3)
    assert caught.value.retryable is True and "timed out" in str(caught.value.message)
    assert time.monotonic() - started < 1.4


def test_a_refused_connection_is_retryable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(WebhookFailed) as caught:
        _deliver(f"http://127.0.0.1:{port}/ok")
    assert caught.value.retryable is True


def test_a_large_response_is_read_only_partly(hooks: Hooks) -> None:
    result = _deliver(f"{hooks.base}/big")
    assert result.status == 200 and result.response_excerpt == "x" * 500


# -- the workspace setting -----------------------------------------------------------------


def test_admins_allow_private_webhooks_in_settings_and_it_is_audited(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner)
    admin = factory.member(workspace, Role.ADMIN)
    member = factory.member(workspace, Role.MEMBER)
    url = f"/w/{workspace.id}/settings/webhooks"

    auth.login(member)
    page = client.get(f"/w/{workspace.id}/settings").get_data(as_text=True)
    assert 'data-testid="webhook-settings"' not in page
    assert client.post(url, data={"webhooks-allow_private_webhooks": "y"}).status_code == 403
    auth.logout()

    auth.login(admin)
    page = client.get(f"/w/{workspace.id}/settings").get_data(as_text=True)
    assert 'data-testid="webhook-settings"' in page and "Webhooks may call private" in page
    response = client.post(url, data={"webhooks-allow_private_webhooks": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session().get_one(Workspace, workspace.id).allow_private_webhooks is True
    page = client.get(f"/w/{workspace.id}/settings").get_data(as_text=True)
    [checkbox] = re.findall(r'<input[^>]*name="webhooks-allow_private_webhooks"[^>]*>', page)
    assert "checked" in checkbox
    assert client.post(url, data={}).status_code == 302
    with app.app_context():
        session = db.session()
        assert session.get_one(Workspace, workspace.id).allow_private_webhooks is False
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "workspace.webhooks_changed")
            .order_by(AuditEvent.id)
        ).all()
        assert [(e.details["old"], e.details["new"]) for e in events] == [
            (False, True),
            (True, False),
        ]
        assert all(e.actor_id == admin.id for e in events)


def test_https_checks_the_certificate_of_the_name(hooks: Hooks) -> None:
    """The pinned TLS connection does a real handshake (here against a plain HTTP port)."""
    with pytest.raises(WebhookFailed) as caught:
        _deliver(f"https://127.0.0.1:{hooks.port}/ok")
    assert caught.value.status is None
