"""Server-side cost of the shell pages against a bare Flask page, same app, same run.

Measures what the shell adds per request (session load, membership check, navigation
queries, translations, Jinja with Bootstrap) on SQLite, through the WSGI test client so the
network is not measured. Reference: a route on the same app returning a fixed string.

    python bench/shell_pages.py [--full]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask.testing import FlaskClient

from formwork import create_app, db
from formwork.migrate import upgrade
from formwork.models import Membership, Role
from formwork.services import accounts, workspaces

PASSWORD = "bench-Passw0rd"


def _timings(call: Callable[[], object], repeat: int) -> list[float]:
    for _ in range(min(20, repeat)):
        call()  # warm caches (templates, translations, statement cache)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def main(argv: list[str]) -> None:
    full = "--full" in argv
    repeat = 2000 if full else 300
    members = 200 if full else 30
    with tempfile.TemporaryDirectory() as tmp:
        # CSRF off: the bench client posts the log-in form without fetching a token first.
        app = create_app(
            {"INSTANCE_PATH": tmp, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False}
        )
        upgrade(app)

        @app.get("/bench-reference")
        def reference() -> str:
            return "ok"

        with app.app_context():
            session = db.session()
            owner = accounts.create_user(
                session,
                email="owner@example.com",
                name="Owner",
                password=PASSWORD,
                min_password_length=10,
            )
            workspace = workspaces.create_workspace(session, owner, "Bench Co")
            for n in range(members):
                user = accounts.create_user(
                    session,
                    email=f"m{n}@example.com",
                    name=f"M {n}",
                    password=PASSWORD,
                    min_password_length=10,
                )
                session.add(
                    Membership(workspace_id=workspace.id, user_id=user.id, role=Role.MEMBER)
                )
            session.commit()
            workspace_id = workspace.id

        client = app.test_client()

        anonymous = app.test_client()

        def get_ok(path: str, via: FlaskClient = client) -> Callable[[], object]:
            def call() -> object:
                response = via.get(path)
                assert response.status_code == 200, (path, response.status_code)
                return response

            return call

        def log_in() -> object:
            response = app.test_client().post(
                "/login", data={"email": "owner@example.com", "password": PASSWORD}
            )
            assert response.status_code == 302, response.status_code
            return response

        login_ms = _timings(log_in, 20 if full else 5)
        client.post("/login", data={"email": "owner@example.com", "password": PASSWORD})
        rows = [
            ("bare Flask route (reference)", _timings(get_ok("/bench-reference"), repeat)),
            ("log-in page", _timings(get_ok("/login", anonymous), repeat)),
            ("workspace dashboard", _timings(get_ok(f"/w/{workspace_id}/"), repeat)),
            (
                f"members page ({members + 1} members)",
                _timings(get_ok(f"/w/{workspace_id}/members"), repeat),
            ),
        ]
        reference_p50 = statistics.median(rows[0][1])
        print(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8} {'x ref p50':>10}")
        for name, samples in rows:
            p50 = statistics.median(samples)
            print(f"{name:40} {p50:8.2f} {_p95(samples):8.2f} {p50 / reference_p50:10.1f}")
        print(f"{'log-in POST (argon2id verify)':40} {statistics.median(login_ms):8.2f}")
        dashboard = rows[2][1]
        print(
            "bench shell_pages: "
            f"dashboard_p50_ms={statistics.median(dashboard):.2f} "
            f"dashboard_p95_ms={_p95(dashboard):.2f} "
            f"members_p95_ms={_p95(rows[3][1]):.2f} "
            f"login_post_p50_ms={statistics.median(login_ms):.1f} "
            f"ratio_dashboard_vs_bare={statistics.median(dashboard) / reference_p50:.1f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
