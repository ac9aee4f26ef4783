"""The searchable person picker (issue 18): a form's person field where a select listed
hundreds or thousands of names.

``PersonPickField(source="problems.responsible")`` names a ``core.registry.PersonSource``
a module registered: the scoped candidates the field accepts. The field renders a text
input that asks ``/people/pick/`` for at most ``PAGE`` matching candidates as the user
types (htmx), each with the unit and the current positions, and a hidden id filled when
one is chosen. Without JavaScript the typed name alone is enough: an exact name among
the candidates is taken; several people of that name are an error that lists each of
them with the unit, to choose from. An id outside the candidates reads like an unknown
one. The form sets the viewer with ``bind_viewer(form, viewer)``.

``PersonMultiPickField`` is the same for several persons (a team's members): the chosen
ones are ticked boxes, names typed without JavaScript are resolved by ``match_names``.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.forms.renderers import BaseRenderer
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from taizhang.core.actors import Actor
from taizhang.core.registry import PERSON_SOURCES

# Forms import bind_viewer from here as well as from core.
from taizhang.core.widgets import bind_viewer as bind_viewer
from taizhang.core.widgets import (
    multi_picker_changed,
    multi_picker_ids,
    multi_picker_omitted,
    multi_picker_value,
    picker_omitted,
    picker_value,
    render_multi_picker,
    render_picker,
    split_names,
)
from taizhang.organizations.models import Organization
from taizhang.people.models import Person, Position

PAGE = 20


def person_label(person: Person) -> str:
    unit = person.organization.short_name if person.organization_id else ""
    return f"{person.name}（{unit}）" if unit else person.name


def match_names(
    candidates: QuerySet[Person], text: str, *, near: Organization | None = None
) -> list[Person]:
    """The persons among ``candidates`` that typed names stand for (separated by 、 , ;
    or new lines), in the order typed, each once.

    A name shared by several candidates is resolved inside ``near``'s subtree when that
    makes it unique; a name may carry its unit to tell namesakes apart, as the error
    shows them: 王芳（锦绣社区）. Otherwise it is an error listing each namesake with the
    unit, to be written that way; unknown names are listed in an error of their own.
    """
    entries = split_names(text)
    if not entries:
        return []
    wanted: dict[str, tuple[str, str]] = {}
    for entry in entries:
        unit_match = re.fullmatch(r"(.+?)\s*[（(]\s*(.+?)\s*[）)]", entry)
        name, unit = (unit_match.group(1), unit_match.group(2)) if unit_match else (entry, "")
        wanted.setdefault(entry, (name.strip(), unit))
    names = {name for name, _unit in wanted.values()}
    found = list(candidates.filter(name__in=names).select_related("organization").order_by("pk"))
    result: list[Person] = []
    missing: list[str] = []
    ambiguous: list[str] = []
    for entry, (name, unit) in wanted.items():
        matches = [p for p in found if p.name == name]
        if unit:
            matches = [
                p for p in matches if unit in (p.organization.short_name, p.organization.name)
            ]
        if len(matches) > 1 and near is not None:
            nearer = [p for p in matches if p.organization.path.startswith(near.path)]
            matches = nearer or matches
        if not matches:
            missing.append(entry)
        elif len(matches) > 1:
            ambiguous.extend(person_label(p) for p in matches)
        elif matches[0] not in result:
            result.append(matches[0])
    errors = []
    if missing:
        errors.append(
            _("No person of this name in your scope: %(names)s") % {"names": "、".join(missing)}
        )
    if ambiguous:
        errors.append(
            _(
                "Several persons share a name: %(names)s. Write the one you mean with the unit,"
                " as shown here."
            )
            % {"names": "、".join(dict.fromkeys(ambiguous))}
        )
    if errors:
        raise forms.ValidationError(errors)
    return result


def search_candidates(viewer: Actor, source: str, text: str) -> tuple[list[Person], bool]:
    """At most ``PAGE`` candidates of ``source`` whose name contains ``text`` (exact
    names first, then names that start with it), each with its unit and current
    positions, and whether there were more: three queries whatever the count."""
    candidates = PERSON_SOURCES[source].candidates(viewer)
    text = text.strip()[:30]
    if not text:
        return [], False
    today = timezone.localdate()
    current = (
        Position.objects.filter(start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("organization")
    )
    rank = Case(
        When(name=text, then=Value(0)),
        When(name__startswith=text, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    found = list(
        candidates.filter(name__icontains=text)
        .select_related("organization")
        .prefetch_related(Prefetch("positions", queryset=current, to_attr="current_positions"))
        .annotate(rank=rank)
        .order_by("rank", "organization__path", "name", "pk")[: PAGE + 1]
    )
    return found[:PAGE], len(found) > PAGE


class PersonPickerWidget(forms.Widget):
    def __init__(self, source: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.source = source

    def value_from_datadict(self, data: Any, files: Any, name: str) -> tuple[str, str]:
        return picker_value(data, name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return picker_omitted(data, name)

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        text, pk = "", ""
        if isinstance(value, Person):
            text, pk = value.name, str(value.pk)
        elif isinstance(value, tuple | list):
            text, pk = str(value[0] or ""), str(value[1] or "")
        elif isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            person = Person.objects.filter(pk=value).only("name").first()
            text, pk = (person.name, str(person.pk)) if person else ("", "")
        elif value:
            text = str(value)
        element_id = (attrs or {}).get("id") or f"id_{name}"
        url = (
            reverse("people:pick")
            + "?"
            + urlencode({"source": self.source, "field": name, "target": element_id})
        )
        return render_picker(
            name=name,
            element_id=element_id,
            text=text,
            pk=pk,
            url=url,
            placeholder=_("Type a name"),
            kind="person-picker",
        )


class PersonPickField(forms.Field):
    """A person among the candidates of ``source``; ``clean`` returns the Person."""

    needs_viewer = True

    default_error_messages = {
        "unknown": _("No such person among those you may choose here."),
        "ambiguous": _(
            "Several people are called %(name)s: %(candidates)s. Choose one from the list."
        ),
    }

    def __init__(self, *, source: str, **kwargs: Any) -> None:
        self.source = source
        self.viewer: Actor | None = None
        kwargs.setdefault("widget", PersonPickerWidget(source))
        super().__init__(**kwargs)

    def candidates(self) -> QuerySet[Person]:
        if self.viewer is None:
            raise TypeError("PersonPickField needs the form's viewer")
        return PERSON_SOURCES[self.source].candidates(self.viewer)

    @property
    def queryset(self) -> QuerySet[Person]:
        """The candidates, as a ModelChoiceField would name them."""
        return self.candidates()

    def prepare_value(self, value: Any) -> Any:
        return value

    def to_python(self, value: Any) -> Person | None:
        text, pk = value if isinstance(value, tuple | list) else (str(value or ""), "")
        text, pk = str(text).strip(), str(pk).strip()
        if isinstance(value, Person):
            text, pk = value.name, str(value.pk)
        if not text and not pk:
            return None
        if not pk and text.isdigit():
            pk = text  # an id posted without the picker (a script, an older page)
        candidates = self.candidates()
        if pk:
            found = candidates.filter(pk=int(pk) if pk.isdigit() else 0).first()
            if found is None:
                raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
            return found
        matches = list(candidates.filter(name=text).select_related("organization")[:10])
        if not matches:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
        if len(matches) > 1:
            raise forms.ValidationError(
                self.error_messages["ambiguous"],
                code="ambiguous",
                params={"name": text, "candidates": "、".join(person_label(p) for p in matches)},
            )
        return matches[0]


class PersonMultiPickerWidget(forms.Widget):
    """Ticked boxes for the chosen persons and a search input; see the module docstring.
    It renders what ``PersonMultiPickField.prepare_value`` gives: ([(id, label)], text)."""

    def __init__(self, source: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.source = source

    def value_from_datadict(self, data: Any, files: Any, name: str) -> tuple[list[str], str]:
        return multi_picker_value(data, name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return multi_picker_omitted(data, name)

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        chosen, text = value if isinstance(value, tuple) else ([], "")
        element_id = (attrs or {}).get("id") or f"id_{name}"
        url = (
            reverse("people:pick")
            + "?"
            + urlencode({"source": self.source, "field": f"{name}_text", "target": element_id})
        )
        return render_multi_picker(
            name=name,
            element_id=element_id,
            chosen=chosen,
            text=text,
            url=url,
            placeholder=_("Type a name to add"),
            label=_("Chosen"),
            kind="person-picker",
        )


class PersonMultiPickField(forms.Field):
    """Persons among the candidates of ``source``; ``clean`` returns a list of Person."""

    needs_viewer = True

    default_error_messages = {
        "unknown": _("No such person among those you may choose here."),
    }

    def __init__(self, *, source: str, **kwargs: Any) -> None:
        self.source = source
        self.viewer: Actor | None = None
        kwargs.setdefault("widget", PersonMultiPickerWidget(source))
        super().__init__(**kwargs)

    def candidates(self) -> QuerySet[Person]:
        if self.viewer is None:
            raise TypeError("PersonMultiPickField needs the form's viewer")
        return PERSON_SOURCES[self.source].candidates(self.viewer)

    def prepare_value(self, value: Any) -> tuple[list[tuple[int, str]], str]:
        """The chosen persons with their labels, looked up among the candidates only (an
        id posted from outside them is not shown back), and the text as typed."""
        pks, text = multi_picker_ids(value) or ([], "")
        if not pks or self.viewer is None:
            return [], text
        found = {
            p.pk: p for p in self.candidates().filter(pk__in=pks).select_related("organization")
        }
        return [(pk, person_label(found[pk])) for pk in pks if pk in found], text

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            chosen = self.to_python(data)
        except forms.ValidationError:
            return True
        return multi_picker_changed(initial, chosen)

    def to_python(self, value: Any) -> list[Person]:
        parsed = multi_picker_ids(value)
        if parsed is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
        pks, text = parsed
        candidates = self.candidates()
        found = {p.pk: p for p in candidates.filter(pk__in=pks)} if pks else {}
        if len(found) != len(set(pks)):
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
        result = [found[pk] for pk in pks]
        for person in match_names(candidates, text):
            if person not in result:
                result.append(person)
        return result
