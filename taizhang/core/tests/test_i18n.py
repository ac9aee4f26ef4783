"""Every module's Chinese catalogue is complete and its compiled file is current."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))
MODULES = sorted(path.parent for path in ROOT.glob("*/apps.py"))
# A UI string written as one literal: _("…"), gettext("…"), {% translate "…" %}. Strings
# split over several literals, and examples quoted in docstrings (``_("…")``), are not
# read here; scripts/messages.py extracts everything.
PY_LITERAL = re.compile(
    r"""(?<![\w.`])(?:_|gettext|gettext_lazy|ngettext|ngettext_lazy)\(\s*"((?:[^"\\\n]|\\.)+)"\s*[,)]"""
)
TEMPLATE_LITERAL = re.compile(r"""{%\s*(?:translate|trans)\s+(?:"((?:[^"\\]|\\.)+)"|'([^']+)')""")


def _entries(po: Path) -> list[tuple[str, str, bool, bool, str]]:
    """(msgid, msgstr, fuzzy, plural, context) for each entry but the header."""
    text = po.read_text(encoding="utf-8")
    result = []
    for block in text.split("\n\n"):
        lines = block.strip().splitlines()
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        body = "\n".join(line for line in lines if not line.startswith("#"))
        match = re.search(r'msgid ((?:".*"\n?)+)', body)
        if not match:
            continue
        msgid = "".join(re.findall(r'"(.*)"', match.group(1)))
        plural = "msgid_plural" in body
        ctxmatch = re.search(r'msgctxt ((?:".*"\n?)+)', body)
        context = "".join(re.findall(r'"(.*)"', ctxmatch.group(1))) if ctxmatch else ""
        strmatch = re.search(r'msgstr(?:\[0\])? ((?:".*"\n?)+)', body)
        msgstr = "".join(re.findall(r'"(.*)"', strmatch.group(1))) if strmatch else ""
        if msgid:
            result.append((msgid, msgstr, fuzzy, plural, context))
    return result


def test_catalogues_exist():
    """The foundation modules ship a Chinese catalogue."""
    names = {po.parents[3].name for po in CATALOGUES}
    assert {"core", "organizations", "people", "accounts"} <= names


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_every_ui_string_of_the_code_is_in_the_catalogue(module):
    """A string added to the code or a template without running scripts/messages.py
    would show in English on the Chinese UI."""
    po = module / "locale/zh_Hans/LC_MESSAGES/django.po"
    known = {msgid for msgid, *_rest in _entries(po)} if po.exists() else set()
    missing = set()
    for source in module.rglob("*.py"):
        if {"tests", "migrations"} & set(source.relative_to(module).parts):
            continue
        for match in PY_LITERAL.finditer(source.read_text(encoding="utf-8")):
            missing.add(match.group(1))
    for template in module.rglob("*.html"):
        for match in TEMPLATE_LITERAL.finditer(template.read_text(encoding="utf-8")):
            missing.add(match.group(1) or match.group(2))
    assert sorted(missing - known) == []


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parents[3].name)
def test_every_string_is_translated(po):
    """No empty or fuzzy translation is left in any catalogue."""
    problems = [msgid for msgid, msgstr, fuzzy, *_rest in _entries(po) if fuzzy or not msgstr]
    assert problems == []


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parents[3].name)
def test_compiled_catalogue_is_current(po):
    """The .mo next to each .po gives the same translations (run scripts/messages.py)."""
    mo = po.with_suffix(".mo")
    assert mo.exists()
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for msgid, msgstr, _fuzzy, plural, context in _entries(po):
        source = _unescape(msgid)
        expected = _unescape(msgstr)
        if context:
            got = compiled.pgettext(_unescape(context), source)
        else:
            got = compiled.ngettext(source, source, 1) if plural else compiled.gettext(source)
        if got != expected:
            stale.append(source)
    assert stale == []


def _unescape(text: str) -> str:
    return text.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")


def test_no_msgid_has_two_translations_across_modules():
    """Django merges every module's catalogue into one table, so a msgid translated
    differently in two modules shows one module's wording in both: give the
    module-specific meaning a message context (pgettext, {% translate … context … %})
    or use one wording everywhere."""
    translations: dict[str, dict[str, str]] = {}
    for po in CATALOGUES:
        module = po.parents[3].name
        for msgid, msgstr, fuzzy, plural, context in _entries(po):
            if context or fuzzy or not msgstr:
                continue
            key = f"{msgid} (plural)" if plural else msgid
            translations.setdefault(key, {})[module] = msgstr
    collisions = [
        f"{msgid!r}: "
        + ", ".join(f"{module} {_unescape(msgstr)}" for module, msgstr in sorted(by_module.items()))
        for msgid, by_module in sorted(translations.items())
        if len(set(by_module.values())) > 1
    ]
    assert not collisions, "translated differently in two modules:\n" + "\n".join(collisions)


def test_form_labels_end_in_a_full_width_colon_in_chinese_only() -> None:
    """Django's own zh_Hans catalogue keeps ``:`` after labels; core's gives ``：``."""
    from django import forms
    from django.utils import translation

    class Form(forms.Form):
        name = forms.CharField(label="名称")

    with translation.override("zh-hans"):
        assert Form()["name"].label_tag() == '<label for="id_name">名称：</label>'
    with translation.override("en"):
        assert Form()["name"].label_tag() == '<label for="id_name">名称:</label>'


# Django's own texts that the project changes on purpose, everywhere.
DELIBERATE = {":": "："}  # labels end in a full-width colon in Chinese (core.forms)


def _django_translations() -> dict[str, str]:
    import django

    mo = Path(django.__file__).parent / "conf/locale/zh_Hans/LC_MESSAGES/django.mo"
    with mo.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    return {key: value for key, value in catalog.items() if isinstance(key, str) and key}


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parents[3].name)
def test_no_catalogue_retranslates_djangos_own_messages(po):
    """Catalogues merge: a module's entry for a message Django translates itself (such
    as "This field is required.") replaces Django's text on every page. A module that
    wants its own words uses a context (pgettext) instead."""
    django_text = _django_translations()
    clashes = [
        (msgid, msgstr, django_text[msgid])
        for msgid, msgstr, _fuzzy, plural, context in _entries(po)
        if not context
        and not plural
        and msgid in django_text
        and django_text[msgid] != msgstr
        and DELIBERATE.get(msgid) != msgstr
    ]
    assert clashes == []
