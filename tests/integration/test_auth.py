"""Sign-up, log-in, log-out, password change, remember-me, language."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from formwork import db
from formwork.models import AuditEvent, User
from tests.conftest import PASSWORD, Auth, Factory


def _user_count(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(User)) or 0


def test_signup_creates_account_and_logs_in(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/signup",
        data={
            "name": "Li Lei",
            "email": "Li.Lei@Example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/workspaces/new"
    with app.app_context():
        user = db.session().scalar(select(User))
        assert user is not None and user.email == "li.lei@example.com"
        assert user.password_hash.startswith("$argon2id$")
    assert client.get("/workspaces").status_code == 200


def test_signup_refuses_duplicate_email_and_creates_nothing(
    app: Flask, client: FlaskClient, factory: Factory
) -> None:
    factory.user(email="taken@example.com")
    response = client.post(
        "/signup",
        data={
            "name": "X",
            "email": "TAKEN@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "An account with this e-mail address already exists." in response.get_data(as_text=True)
    assert _user_count(app) == 1


def test_signup_refuses_weak_password_on_its_field(app: Flask, client: FlaskClient) -> None:
    for password, message in [
        ("short", "Use at least 10 characters."),
        ("aaaaaaaaaaaa", "Use a less repetitive password."),
        ("someone@example.com", "The password must not be your e-mail address."),
    ]:
        response = client.post(
            "/signup",
            data={
                "name": "X",
                "email": "someone@example.com",
                "password": password,
                "confirm": password,
            },
        )
        assert message in response.get_data(as_text=True)
    assert _user_count(app) == 0


def test_signup_refuses_mismatched_confirmation(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/signup",
        data={
            "name": "X",
            "email": "x@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD + "x",
        },
    )
    assert "The passwords differ." in response.get_data(as_text=True)
    assert _user_count(app) == 0


def test_signup_refuses_invalid_email(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/signup",
        data={
            "name": "X",
            "email": "not-an-email",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert "Enter a valid e-mail address." in response.get_data(as_text=True)
    assert _user_count(app) == 0


def test_wrong_password_is_refused_and_audited(
    app: Flask, client: FlaskClient, factory: Factory
) -> None:
    user = factory.user()
    response = client.post("/login", data={"email": user.email, "password": "wrong-password"})
    assert response.status_code == 200
    assert "E-mail or password is not correct." in response.get_data(as_text=True)
    assert client.get("/workspaces").status_code == 302
    with app.app_context():
        actions = db.session().scalars(select(AuditEvent.action)).all()
    assert "account.login_failed" in actions


def test_unknown_email_gets_the_same_error(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": "nobody@example.com", "password": PASSWORD})
    assert "E-mail or password is not correct." in response.get_data(as_text=True)


def test_login_and_logout(client: FlaskClient, factory: Factory, auth: Auth) -> None:
    auth.login(factory.user())
    assert client.get("/workspaces").status_code == 200
    assert client.get("/logout").status_code == 405  # GET cannot log anyone out
    client.post("/logout")
    assert client.get("/workspaces").status_code == 302


def test_remember_me_sets_a_lasting_cookie(client: FlaskClient, factory: Factory) -> None:
    user = factory.user()
    client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    assert client.get_cookie("remember_token") is not None


def test_login_redirect_ignores_other_sites(client: FlaskClient, factory: Factory) -> None:
    user = factory.user()
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(
            f"/login?next={target}", data={"email": user.email, "password": PASSWORD}
        )
        assert response.headers["Location"] == "/"
        client.post("/logout")
    response = client.post(
        "/login?next=/workspaces/new", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/workspaces/new"


def test_password_change_logs_out_other_sessions(app: Flask, factory: Factory) -> None:
    user = factory.user()
    phone, laptop = app.test_client(), app.test_client()
    Auth(phone).login(user)
    Auth(laptop).login(user)
    response = laptop.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "n3w-Passw0rd!",
            "confirm": "n3w-Passw0rd!",
        },
    )
    assert response.status_code == 302
    assert laptop.get("/workspaces").status_code == 200
    assert phone.get("/workspaces").status_code == 302
    assert laptop.post("/logout").status_code == 302
    Auth(laptop).login(user, password="n3w-Passw0rd!")


def test_password_change_needs_the_current_password(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    user = factory.user()
    auth.login(user)
    response = client.post(
        "/account/password",
        data={
            "current_password": "wrong-one-x",
            "password": "n3w-Passw0rd!",
            "confirm": "n3w-Passw0rd!",
        },
    )
    assert "The current password is not correct." in response.get_data(as_text=True)
    auth.logout()
    auth.login(user)  # the old password still works


def test_login_is_rate_limited(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [
        client.post("/login", data={"email": "a@example.com", "password": "x" * 10}).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    assert "Too many attempts" in client.post("/login", data={}).get_data(as_text=True)
    assert client.get("/login").status_code == 200  # reading the page is not limited


def test_language_follows_accept_language_then_choice(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-CN">' in page.get_data(as_text=True)
    page = client.get("/login", headers={"Accept-Language": "en-US"})
    assert '<html lang="en">' in page.get_data(as_text=True)
    client.post("/language", data={"locale": "zh_CN", "next": "/login"})
    page = client.get("/login", headers={"Accept-Language": "en-US"})
    assert '<html lang="zh-CN">' in page.get_data(as_text=True)

    user = factory.user()
    auth.login(user)
    client.post("/language", data={"locale": "en"})
    with app.app_context():
        assert db.session().get(User, user.id).locale == "en"  # type: ignore[union-attr]


def test_language_switch_refuses_unknown_locale(client: FlaskClient) -> None:
    client.post("/language", data={"locale": "xx"})
    page = client.get("/login", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in page.get_data(as_text=True)
