"""GeoReport v2 endpoints at ``/open311/v2/``: each parses the spec's parameters, checks
the key, calls one selector or the one service, and answers in JSON or XML.

Reads are public per the spec (and then show only what came in through Open311); a key
narrows them to its account's scope. Every write needs a live service account's token.
Refusals are answered in the spec's error format and audited like any refused route.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator, validate_email
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from taizhang.accounts.models import User
from taizhang.accounts.services import token_user
from taizhang.core.access import public
from taizhang.core.middleware import audit_denied
from taizhang.open311 import selectors, shapes
from taizhang.open311.formats import Open311Error, render, render_error
from taizhang.open311.services import open311_request_create

WINDOW = dt.timedelta(days=90)  # the spec's default and widest date range
PHONE = re.compile(r"^[0-9+\-() ]{3,20}$")
DESCRIPTION_MAX = 4000
View = Callable[..., HttpResponse]


def open311(*methods: str) -> Callable[[View], View]:
    """A GeoReport endpoint: public as a route (the key is checked here, per request),
    the methods it answers, and every ``Open311Error`` in the spec's format."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise Open311Error(405, f"method {request.method} not allowed here")
                with translation.override("en"):
                    response = view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as error:
                if error.code == 403:
                    audit_denied(request)
                response = render_error(fmt, error)
            if "api_key" in request.GET or "api_key" in request.POST:
                response["Cache-Control"] = "no-store, private"
            return response

        return public(csrf_exempt(wrapper))

    return decorator


def _caller(request: HttpRequest, *, required: bool) -> User | None:
    """The service account behind ``api_key``, None for a public read; 403 for a key
    that is not a live service account's token (revoked, expired, account disabled)."""
    key = (request.POST.get("api_key") or request.GET.get("api_key") or "").strip()
    if not key:
        if required:
            raise Open311Error(403, "api_key is required")
        return None
    user = token_user(key)
    if user is None or not user.is_service:
        raise Open311Error(403, "api_key is invalid")
    return user


def _moment(name: str, raw: str) -> dt.datetime | None:
    if not raw.strip():
        return None
    text = raw.strip()
    moment = None
    try:
        moment = parse_datetime(text)
        if moment is None and (day := parse_date(text)) is not None:
            moment = dt.datetime.combine(day, dt.time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(400, f"{name} is not a W3C date and time (2010-01-01T00:00:00Z)")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


@open311("GET")
def services_view(request: HttpRequest, *, fmt: str) -> HttpResponse:
    rows = [shapes.service_row(c) for c in selectors.active_categories()]
    return render(fmt, rows, root="services")


@open311("GET")
def service_definition_view(request: HttpRequest, *, code: str, fmt: str) -> HttpResponse:
    category = selectors.category_for_code(code)
    if category is None:
        raise Open311Error(404, f"service_code {code} not found")
    return render(fmt, shapes.service_definition(category), root="service_definition")


def _window(request: HttpRequest) -> tuple[dt.datetime | None, dt.datetime | None]:
    """requested_datetime's range: the last 90 days unless said otherwise, never wider.
    A sync by ``updated_after``/``updated_before`` alone is not cut to 90 days."""
    start = _moment("start_date", request.GET.get("start_date", ""))
    end = _moment("end_date", request.GET.get("end_date", ""))
    if (
        start is None
        and end is None
        and (request.GET.get("updated_after") or request.GET.get("updated_before"))
    ):
        return None, None
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        assert end is not None
        start = end - WINDOW
    if end is None:
        end = start + WINDOW
    if end < start:
        raise Open311Error(400, "end_date is before start_date")
    if end - start > WINDOW:
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    return start, end


def _requests_get(request: HttpRequest, fmt: str) -> HttpResponse:
    caller = _caller(request, required=False)
    numbers = _list(request.GET.get("service_request_id", ""))
    statuses = _list(request.GET.get("status", "").lower())
    if any(s not in ("open", "closed") for s in statuses):
        raise Open311Error(400, "status must be open or closed")
    if numbers:
        start = end = None
    else:
        start, end = _window(request)
    rows = selectors.request_list(
        caller,
        numbers=numbers,
        codes=_list(request.GET.get("service_code", "")),
        start=start,
        end=end,
        statuses=statuses,
        updated_after=_moment("updated_after", request.GET.get("updated_after", "")),
        updated_before=_moment("updated_before", request.GET.get("updated_before", "")),
    )
    keyed = caller is not None
    return render(fmt, [shapes.request_row(d, keyed=keyed) for d in rows], root="service_requests")


def _decimal(name: str, raw: str, limit: int) -> Decimal | None:
    if not raw.strip():
        return None
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise Open311Error(400, f"{name} is not a number") from None
    if not value.is_finite() or not -limit <= value <= limit:
        raise Open311Error(400, f"{name} must lie between -{limit} and {limit}")
    return value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def _requests_post(request: HttpRequest, fmt: str) -> HttpResponse:
    caller = _caller(request, required=True)
    assert caller is not None
    data = request.POST
    code = data.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code is required")
    category = selectors.category_for_code(code)
    if category is None:
        raise Open311Error(404, f"service_code {code} not found")
    lat = _decimal("lat", data.get("lat", ""), 90)
    long = _decimal("long", data.get("long", ""), 180)
    if (lat is None) != (long is None):
        raise Open311Error(400, "lat and long must be given together")
    address = data.get("address_string", "").strip()
    if lat is None and not address:
        raise Open311Error(400, "lat and long, or address_string, is required")
    if len(address) > 200:
        raise Open311Error(400, "address_string is longer than 200 characters")
    description = data.get("description", "").strip()
    if not description:
        raise Open311Error(400, "description is required")
    if len(description) > DESCRIPTION_MAX:
        raise Open311Error(400, "description is longer than 4000 characters")
    phone = data.get("phone", "").strip()
    if phone and not PHONE.match(phone):
        raise Open311Error(400, "phone is not a telephone number")
    email = data.get("email", "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise Open311Error(400, "email is not an e-mail address") from None
    first, last = data.get("first_name", "").strip(), data.get("last_name", "").strip()
    if len(first) + len(last) > 99:
        raise Open311Error(400, "first_name and last_name are too long")
    media_url = data.get("media_url", "").strip()
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            raise Open311Error(400, "media_url is not an http(s) URL") from None
        if len(media_url) > 500:
            raise Open311Error(400, "media_url is longer than 500 characters")
    try:
        demand = open311_request_create(
            service_user=caller,
            category=category,
            description=description,
            lat=lat,
            long=long,
            address_string=address,
            first_name=first,
            last_name=last,
            phone=phone,
            media_url=media_url,
        )
    except PermissionDenied:
        raise Open311Error(403, "api_key may not submit requests") from None
    except ValidationError as error:
        raise Open311Error(400, "; ".join(error.messages)) from None
    return render(fmt, [shapes.created_row(demand)], root="service_requests")


@open311("GET", "POST")
def requests_view(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _requests_post(request, fmt)
    return _requests_get(request, fmt)


@open311("GET")
def request_view(request: HttpRequest, *, number: str, fmt: str) -> HttpResponse:
    caller = _caller(request, required=False)
    demand = selectors.request_for_number(caller, number)
    if demand is None:
        raise Open311Error(404, f"service_request_id {number} not found")
    keyed = caller is not None
    return render(fmt, [shapes.request_row(demand, keyed=keyed)], root="service_requests")


@open311("GET")
def token_view(request: HttpRequest, *, token: str, fmt: str) -> HttpResponse:
    """Requests are created at once, so the only token is the request's own id: a
    client written for slower endpoints resolves it here."""
    demand = selectors.request_for_number(_caller(request, required=False), token)
    if demand is None:
        raise Open311Error(404, f"token {token} not found")
    return render(
        fmt, [{"service_request_id": demand.number, "token": token}], root="service_requests"
    )


def _updates(
    request: HttpRequest, fmt: str, caller: User | None, demand: Any = None
) -> HttpResponse:
    after = _moment(
        "updated_after", request.GET.get("updated_after") or request.GET.get("start_date", "")
    )
    before = _moment(
        "updated_before", request.GET.get("updated_before") or request.GET.get("end_date", "")
    )
    steps = selectors.request_updates(caller, demand=demand, after=after, before=before)
    return render(fmt, [shapes.update_row(s) for s in steps], root="service_request_updates")


@open311("GET")
def request_updates_view(request: HttpRequest, *, number: str, fmt: str) -> HttpResponse:
    caller = _caller(request, required=False)
    demand = selectors.request_for_number(caller, number)
    if demand is None:
        raise Open311Error(404, f"service_request_id {number} not found")
    return _updates(request, fmt, caller, demand)


@open311("GET")
def updates_view(request: HttpRequest, *, fmt: str) -> HttpResponse:
    """``servicerequestupdates``: every readable request's status changes in a window of
    when they became known (``start_date``/``end_date`` or ``updated_after``/
    ``updated_before``)."""
    return _updates(request, fmt, _caller(request, required=False))


@public
@csrf_exempt
def unknown_view(request: HttpRequest, rest: str) -> HttpResponse:
    """Anything else under ``v2/`` answers the spec's 404, not an HTML page."""
    fmt = "xml" if rest.endswith(".xml") else "json"
    return render_error(fmt, Open311Error(404, "no such resource"))
