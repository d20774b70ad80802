"""The engines' bilingual message catalogue."""

from __future__ import annotations

import pytest

from form_engine.messages import FieldError, normalise_locale, register_messages, render

register_messages(
    {
        "test_too_long": {"en": "Use at most {max} characters.", "zh-CN": "最多 {max} 个字符。"},
    }
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("zh_CN", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("zh", "zh-CN"),
        ("en_US", "en"),
        (None, "en"),
        ("fr", "en"),
    ],
)
def test_locales_are_normalised(given: str | None, expected: str) -> None:
    assert normalise_locale(given) == expected


def test_messages_render_in_both_languages() -> None:
    assert render("test_too_long", "en", max=5) == "Use at most 5 characters."
    assert render("test_too_long", "zh_CN", max=5) == "最多 5 个字符。"


def test_field_error_names_its_field_as_a_pointer() -> None:
    error = FieldError(("lines", 2, "qty/unit"), "test_too_long", {"max": 3})
    assert error.key == "lines"
    assert error.as_dict("zh-CN") == {
        "path": "/lines/2/qty~1unit",
        "code": "test_too_long",
        "message": "最多 3 个字符。",
    }


def test_a_message_must_exist_in_every_language() -> None:
    with pytest.raises(ValueError, match="lacks"):
        register_messages({"test_half": {"en": "Only English"}})
    with pytest.raises(ValueError, match="registered twice"):
        register_messages({"test_too_long": {"en": "Other", "zh-CN": "其他"}})
