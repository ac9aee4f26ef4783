"""Demands and their categories in the shapes of GeoReport v2 (data, not UI).

Nothing here reads requesters: the spec's first_name, last_name, phone and email are
accepted on a POST and never written out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from taizhang.demands.models import OPEN_STATES, Demand, DemandAction, DemandCategory, DemandStep

# Public notes: fixed words per state or step, never a step's own note (a reply's note
# names the requesters).
STATE_NOTES = {
    "received": "已受理，待分派承办单位",
    "assigned": "已分派承办单位",
    "handling": "承办单位办理中",
    "replied": "已答复，待回访",
    "closed": "已办结",
    "merged": "已合并至另一诉求",
}
STEP_NOTES = {
    DemandAction.RECEIVE: "已受理",
    DemandAction.ASSIGN: "已分派承办单位",
    DemandAction.REASSIGN: "已改派承办单位",
    DemandAction.START: "承办单位开始办理",
    DemandAction.REPLY: "已答复",
    DemandAction.FOLLOW_UP: "已回访，办结",
    DemandAction.REOPEN: "回访不满意，重新办理",
    DemandAction.MERGE: "已合并至另一诉求",
    DemandAction.ABSORB: "并入一件重复诉求",
    DemandAction.RAISE_PROBLEM: "已列入问题清单",
}


# A POST's media_url is kept as the last line of the demand's content (the ledger has
# no attachment by link); it is read back from there.
MEDIA_PREFIX = "附件链接："


def split_media(content: str) -> tuple[str, str | None]:
    """The description as submitted, and the media_url kept with it (or None)."""
    head, _sep, last = content.rpartition("\n")
    if last.startswith(MEDIA_PREFIX):
        return head.rstrip(), last.removeprefix(MEDIA_PREFIX).strip() or None
    return content, None


def w3c(moment: dt.datetime | None) -> str | None:
    """A moment as the spec writes it (W3C / ISO 8601 with the offset)."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def status(state: str) -> str:
    return "open" if state in OPEN_STATES else "closed"


def service_row(category: DemandCategory) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": (
            f"{category.name}：默认由{category.default_org.name}承办，"
            f"{category.time_limit_days}个工作日内答复"
        ),
        "metadata": False,
        "type": "realtime",
        "keywords": category.name,
        "group": "企业诉求" if category.for_enterprises else "群众诉求",
    }


def service_definition(category: DemandCategory) -> dict[str, Any]:
    """No category asks for more than the spec's own fields: no attributes."""
    return {"service_code": category.code, "attributes": []}


def _expected(demand: Demand) -> str | None:
    end_of_day = dt.datetime.combine(demand.due_on, dt.time(23, 59, 59))
    return w3c(timezone.make_aware(end_of_day))


def status_notes(demand: Demand, *, keyed: bool) -> str:
    """The state in words; a key's holder (its own organization's machine) also reads
    the reply given, which the public does not."""
    note = STATE_NOTES.get(demand.state, "")
    if demand.state == "merged" and demand.merged_into is not None:
        note = f"已合并至{demand.merged_into.number}"
    if keyed and demand.reply_text and demand.state in ("replied", "closed"):
        note = f"{note}：{demand.reply_text}"
    return note


def request_row(demand: Demand, *, keyed: bool = False) -> dict[str, Any]:
    unit = demand.handling_org or demand.org
    updated = getattr(demand, "updated", None) or demand.received_at
    description, media_url = split_media(demand.content)
    return {
        "service_request_id": demand.number,
        "status": status(demand.state),
        "status_notes": status_notes(demand, keyed=keyed),
        "service_name": demand.category.name,
        "service_code": demand.category.code,
        "description": description,
        "agency_responsible": unit.name,
        "service_notice": None,
        "requested_datetime": w3c(demand.received_at),
        "updated_datetime": w3c(updated),
        "expected_datetime": _expected(demand),
        "address": demand.address_string or None,
        "address_id": None,
        "zipcode": None,
        "lat": demand.lat,
        "long": demand.long,
        "media_url": media_url,
    }


def update_row(step: DemandStep) -> dict[str, Any]:
    """One status change, as the update extension of the large deployments writes it."""
    return {
        "update_id": str(step.pk),
        "service_request_id": step.demand.number,
        "status": status(step.to_state),
        "updated_datetime": w3c(step.occurred_at),
        "description": STEP_NOTES.get(DemandAction(step.action), ""),
        "media_url": None,
    }


def created_row(demand: Demand) -> dict[str, Any]:
    return {
        "service_request_id": demand.number,
        "service_notice": (
            f"已受理，编号{demand.number}，按{demand.category.name}时限"
            f"应于{demand.due_on:%Y-%m-%d}前答复"
        ),
        "account_id": None,
    }
