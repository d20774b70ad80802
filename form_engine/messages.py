"""User-facing messages of the engines, in English and Simplified Chinese.

The engines are pure (no Flask-Babel), so they carry their own small catalogue: each
module registers its messages by code, and errors carry a code plus parameters, rendered
in the user's language only when shown. Locale codes are BCP 47 (``en``, ``zh-CN``), as
in the documents' ``x-titles``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SUPPORTED_LOCALES = ("en", "zh-CN")
DEFAULT_LOCALE = "en"

_CATALOGUE: dict[str, dict[str, str]] = {}


def register_messages(messages: Mapping[str, Mapping[str, str]]) -> None:
    """Add messages (``code -> {locale: template}``); every supported locale is required.

    Templates use ``str.format`` fields: ``"Use at most {max} characters."``.

    Raises:
        ValueError: a locale is missing, or a code is registered twice with other text.
    """
    for code, texts in messages.items():
        missing = [locale for locale in SUPPORTED_LOCALES if not texts.get(locale)]
        if missing:
            raise ValueError(f"message {code!r} lacks {missing}")
        if code in _CATALOGUE and _CATALOGUE[code] != dict(texts):
            raise ValueError(f"message {code!r} is registered twice with different text")
        _CATALOGUE[code] = dict(texts)


def normalise_locale(locale: str | None) -> str:
    """``zh_CN``, ``zh-Hans-CN``, ``zh`` → ``zh-CN``; anything else → ``en``."""
    if locale and locale.replace("_", "-").lower().startswith("zh"):
        return "zh-CN"
    return DEFAULT_LOCALE


def render(code: str, locale: str | None = None, **params: Any) -> str:
    """The message for ``code`` in ``locale``, with ``params`` filled in.

    Raises:
        KeyError: ``code`` was never registered (a programming error).
    """
    texts = _CATALOGUE[code]
    return texts[normalise_locale(locale)].format(**params)


def registered_codes() -> frozenset[str]:
    return frozenset(_CATALOGUE)


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of a record, e.g. ``("phone",)``, ``"phone_cn"``.

    Attributes:
        path: The field key, then indexes/keys inside it for subforms and addresses.
        code: A registered message code.
        params: Values for the message template.
    """

    path: tuple[str | int, ...]
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The top-level field key ("" for errors about the record as a whole)."""
        return str(self.path[0]) if self.path else ""

    def message(self, locale: str | None = None) -> str:
        return render(self.code, locale, **self.params)

    def as_dict(self, locale: str | None = None) -> dict[str, Any]:
        """JSON shape for the API: ``{"path": "/phone", "code": ..., "message": ...}``."""
        pointer = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in self.path)
        return {"path": pointer, "code": self.code, "message": self.message(locale)}
