"""submit: the form-view idiom in one call."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from taizhang.core.forms import submit


class NameForm(forms.Form):
    name = forms.CharField()


def _request(method: str, data: dict[str, Any] | None = None) -> Any:
    factory = RequestFactory()
    request = factory.post("/", data or {}) if method == "POST" else factory.get("/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def test_a_get_calls_nothing() -> None:
    called: list[str] = []
    outcome = submit(_request("GET"), NameForm(), lambda: called.append("x"))
    assert not outcome.ok and called == []


def test_an_invalid_form_calls_nothing() -> None:
    called: list[str] = []
    form = NameForm({})
    outcome = submit(_request("POST"), form, lambda: called.append("x"))
    assert not outcome.ok and called == [] and "name" in form.errors


def test_the_service_runs_and_the_success_message_is_shown() -> None:
    request = _request("POST", {"name": "甲"})
    form = NameForm(request.POST)
    outcome = submit(request, form, lambda: form.cleaned_data["name"] * 2, success="已保存")
    assert outcome.ok and outcome.result == "甲甲"
    assert [str(m) for m in get_messages(request)] == ["已保存"]


@pytest.mark.parametrize(
    ("error", "field"),
    [(ValidationError({"name": "重名"}), "name"), (ValidationError("不行"), "__all__")],
)
def test_a_service_refusal_is_shown_on_the_form(error: ValidationError, field: str) -> None:
    request = _request("POST", {"name": "甲"})
    form = NameForm(request.POST)

    def refuse() -> None:
        raise error

    outcome = submit(request, form, refuse, success="已保存")
    assert not outcome.ok and field in form.errors
    assert list(get_messages(request)) == []
