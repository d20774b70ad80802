"""The translation catalogs are complete, compiled, and safe to format.

Every message the code marks for translation (per ``babel.cfg``) must have a reviewed,
non-empty translation in each shipped language; the committed ``.mo`` must match its
``.po``; and placeholders such as ``%(name)s`` must survive translation unchanged.
See docs/translations.md for the commands that fix a failure here.
"""

from __future__ import annotations

import re
from collections import Counter
from io import BytesIO
from pathlib import Path

import pytest
from babel.core import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from formwork.config import DefaultConfig

ROOT = Path(__file__).resolve().parents[2]
BABEL_CFG = ROOT / "babel.cfg"
TRANSLATIONS = ROOT / "platform" / "formwork" / "translations"
# The -k options of the documented `pybabel extract` command, on top of Babel's defaults.
EXTRA_KEYWORDS = ("_l", "lazy_gettext")

# Every language the app offers except the one the code is written in.
LANGUAGES = [lang for lang in DefaultConfig.LANGUAGES if lang != DefaultConfig.DEFAULT_LOCALE]

# printf-style conversions as Python's % operator reads them, "%%" included.
PLACEHOLDER = re.compile(
    r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]"
)
# A percent sign left over once placeholders are removed, or a full-width one (U+FF05).
STRAY_PERCENT = re.compile("[%\uff05]")

Key = tuple[str, str | None]  # (msgid, msgctxt)


def catalog_dir(language: str) -> Path:
    """Where Flask-Babel looks: it loads ``str(Locale.parse(code))``, e.g. zh_CN → zh_Hans_CN."""
    return TRANSLATIONS / str(Locale.parse(language)) / "LC_MESSAGES"


def load_po(language: str) -> Catalog:
    path = catalog_dir(language) / "messages.po"
    if not path.is_file():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: Flask-Babel looks for {language} there")
    with path.open("rb") as handle:
        return read_po(handle, abort_invalid=True)


def extract_messages() -> dict[Key, list[str]]:
    """What `pybabel extract -F babel.cfg -k _l -k lazy_gettext .` finds, with locations."""
    with BABEL_CFG.open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(BABEL_CFG))
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(EXTRA_KEYWORDS)}
    found: dict[Key, list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map, keywords=keywords
    ):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault((msgid, context), []).append(f"{filename}:{lineno}")
    return found


def as_list(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def translated(catalog: Catalog) -> dict[Key, tuple[str, ...]]:
    """msgid → msgstr of the entries gettext will use (the header excluded)."""
    return {
        (as_list(m.id)[0], m.context): tuple(as_list(m.string))
        for m in catalog
        if m.id and any(as_list(m.string))
    }


@pytest.fixture(scope="module")
def extracted() -> dict[Key, list[str]]:
    found = extract_messages()
    suffixes = {Path(loc.rpartition(":")[0]).suffix for locs in found.values() for loc in locs}
    # Guards against a babel.cfg pattern that silently matches nothing.
    assert {".py", ".html"} <= suffixes, f"babel.cfg extracted from {sorted(suffixes)} files only"
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_extracted_message_is_translated(
    language: str, extracted: dict[Key, list[str]]
) -> None:
    catalog = load_po(language)
    assert not catalog.fuzzy, f"{language}: the catalog header is marked fuzzy"
    problems = []
    for (msgid, context), locations in extracted.items():
        entry = catalog.get(msgid, context=context)
        if entry is None:
            problem = "missing from the .po"
        elif entry.fuzzy:
            problem = "fuzzy (review it and remove the flag)"
        elif not all(as_list(entry.string)):
            problem = "empty msgstr"
        else:
            continue
        problems.append(f"  {msgid!r} ({problem}; used at {', '.join(locations)})")
    assert not problems, (
        f"{len(problems)} message(s) untranslated in {language}; "
        "run the pybabel commands in docs/translations.md:\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_po(language: str) -> None:
    # Compared as parsed catalogs, not bytes: the .mo header names the Babel version.
    po = load_po(language)
    compiled = BytesIO()
    write_mo(compiled, po)
    compiled.seek(0)
    expected = read_mo(compiled)
    with (catalog_dir(language) / "messages.mo").open("rb") as handle:
        committed = read_mo(handle)
    want, have = translated(expected), translated(committed)
    stale = sorted(
        f"  {key[0]!r}: .po {want.get(key)!r}, .mo {have.get(key)!r}"
        for key in want.keys() | have.keys()
        if want.get(key) != have.get(key)
    )
    assert not stale, (
        f"messages.mo of {language} is out of date; run "
        "`pybabel compile -d platform/formwork/translations`:\n" + "\n".join(stale)
    )
    assert committed.plural_forms == expected.plural_forms


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_survive_translation(language: str) -> None:
    problems = []
    for message in load_po(language):
        if not message.id or message.fuzzy:
            continue
        msgid = as_list(message.id)[0]
        wanted = Counter(PLACEHOLDER.findall(msgid))
        literal_percent = bool(STRAY_PERCENT.search(PLACEHOLDER.sub("", msgid)))
        for msgstr in as_list(message.string):
            if not msgstr:
                continue  # reported by test_every_extracted_message_is_translated
            got = Counter(PLACEHOLDER.findall(msgstr))
            stray = bool(STRAY_PERCENT.search(PLACEHOLDER.sub("", msgstr)))
            if got != wanted or (stray and not literal_percent):
                problems.append(
                    f"  {msgid!r}: wants {sorted(wanted.elements())}, "
                    f"msgstr {msgstr!r} has {sorted(got.elements())}"
                    + (" and a stray percent sign" if stray else "")
                )
    assert not problems, f"placeholders changed in {language}:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_flask_babel_finds_the_catalog(language: str) -> None:
    # The lookup Flask-Babel makes for the locale its selector returns.
    translations = Translations.load(str(TRANSLATIONS), [Locale.parse(language)], "messages")
    assert isinstance(translations, Translations), (
        f"no messages.mo found for {language} under {TRANSLATIONS}; "
        f"it must be in {catalog_dir(language).relative_to(ROOT)}"
    )
    for (msgid, _context), msgstr in translated(load_po(language)).items():
        assert translations.gettext(msgid) == msgstr[0], f"{msgid!r} is not served as in the .po"
