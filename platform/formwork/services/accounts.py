"""Accounts: sign-up, password log-in, password change, language preference."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from formwork.db import utcnow
from formwork.models import User
from formwork.services import audit
from formwork.services.errors import Conflict, Invalid

# Argon2id with the library's RFC 9106 "low memory" defaults (64 MiB, 3 passes).
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a miss takes as long as a hit.
_DUMMY_HASH = _hasher.hash("formwork-timing-equaliser")

PASSWORD_MAX_LENGTH = 256
SUPPORTED_LOCALES = ("en", "zh_CN")


def normalise_email(raw: str) -> str:
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise Invalid(_l("Enter a valid e-mail address."), field="email") from exc
    return result.normalized.lower()


def check_password_strength(password: str, *, email: str, min_length: int) -> None:
    if len(password) < min_length:
        raise Invalid(_l("Use at least %(count)d characters.", count=min_length), field="password")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise Invalid(
            _l("Use at most %(count)d characters.", count=PASSWORD_MAX_LENGTH), field="password"
        )
    if password.strip().lower() in {email.lower(), email.split("@")[0].lower()}:
        raise Invalid(_l("The password must not be your e-mail address."), field="password")
    if len(set(password)) < 4:
        raise Invalid(_l("Use a less repetitive password."), field="password")


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    min_password_length: int,
    locale: str | None = None,
    ip_address: str | None = None,
) -> User:
    """Create an account (commits). Raises Invalid or Conflict and changes nothing."""
    email = normalise_email(email)
    name = name.strip()
    if not name:
        raise Invalid(_l("Enter your name."), field="name")
    if len(name) > 100:
        raise Invalid(_l("Use at most %(count)d characters.", count=100), field="name")
    check_password_strength(password, email=email, min_length=min_password_length)
    if locale not in (None, *SUPPORTED_LOCALES):
        raise Invalid(_l("Unsupported language."), field="locale")
    user = User(email=email, name=name, password_hash=_hasher.hash(password), locale=locale)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(
            _l("An account with this e-mail address already exists."), field="email"
        ) from exc
    audit.record(session, "account.signed_up", actor_id=user.id, ip_address=ip_address)
    session.commit()
    return user


def authenticate(
    session: Session, email: str, password: str, *, ip_address: str | None = None
) -> User | None:
    """The active user with these credentials, or None. Records the attempt."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        _verify(_DUMMY_HASH, password)
        audit.record(
            session,
            "account.login_failed",
            actor_id=None,
            ip_address=ip_address,
            email=email.strip().lower()[:254],
        )
        session.commit()
        return None
    if not _verify(user.password_hash, password) or not user.is_active:
        audit.record(session, "account.login_failed", actor_id=user.id, ip_address=ip_address)
        session.commit()
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    audit.record(session, "account.logged_in", actor_id=user.id, ip_address=ip_address)
    session.commit()
    return user


def change_password(
    session: Session, user: User, *, current: str, new: str, min_length: int
) -> None:
    """Replace the password and end every other session of this user (commits)."""
    if not _verify(user.password_hash, current):
        raise Invalid(_l("The current password is not correct."), field="current_password")
    check_password_strength(new, email=user.email, min_length=min_length)
    user.password_hash = _hasher.hash(new)
    user.session_epoch += 1
    audit.record(session, "account.password_changed", actor_id=user.id)
    session.commit()


def set_locale(session: Session, user: User, locale: str) -> None:
    if locale not in SUPPORTED_LOCALES:
        raise Invalid(_l("Unsupported language."), field="locale")
    user.locale = locale
    session.commit()


def load_by_login_id(session: Session, login_id: str) -> User | None:
    """Flask-Login's loader: ``"<id>:<epoch>"``; a stale epoch means logged out."""
    user_id, _, epoch = login_id.partition(":")
    if not (user_id.isdigit() and epoch.isdigit()):
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_epoch != int(epoch):
        return None
    return user


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
