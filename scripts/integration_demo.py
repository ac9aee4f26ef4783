#!/usr/bin/env python
"""What an integrator does with taizhang, end to end (issue 17, "Done means").

    .venv/bin/python scripts/integration_demo.py            # a temporary server of its own
    .venv/bin/python scripts/integration_demo.py --url http://127.0.0.1:8000

1. The security administrator registers two service accounts (a read-only one for the
   sync, one recording demands for Open311) and issues their tokens; the system
   administrator connects a 12345 endpoint to a local stand-in platform.
2. The sync pulls every ledger list of ``/api/v1/`` page by page (a first full pull),
   a clerk puts a problem on the ledger, and a second pull with ``updated_since``
   returns that record and nothing else; the problem is removed again (an import
   undone) and ``GET /api/v1/deleted?since=`` names it.
3. A resident's request is posted through Open311 (the ``georeport`` client from PyPI
   reads the services and the request) and followed to 办结 (``closed``) through the
   update extension while the street works the demand through the API.
4. A 12345 work order is posted signed, posted again (the same demand), worked through
   to 办结, and every state change arrives signed at the stand-in platform.

Each step is printed; the first failure stops the run with exit status 1.

The administrators' steps go through the services their pages call, as the demo's
``security`` and ``sysadmin`` personas, in this process: those pages want a second
factor outside development, which a script should not hold. So the script reaches the
server's database: by default it makes a fresh SQLite database with the demo district
in a temporary directory and starts ``runserver`` on it (and stops it at the end); with
``--url`` the server must run on the database this process's settings name (the same
``TAIZHANG_VAR_DIR`` or ``TAIZHANG_DATABASE_URL``, ``config.settings.dev``, the demo
loaded). Everything an integrator does goes over HTTP.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "Taizhang@2026"  # noqa: S105 - the documented demo password
HOTLINE_KEY = "integration-demo-shared-key-0123456789"  # noqa: S105 - the stand-in's key
TIMEOUT = 20

# The ledger lists a sync pulls (each takes updated_since and answers updated_at).
LEDGERS = (
    "/api/v1/projects",
    "/api/v1/investment/leads",
    "/api/v1/investment/events",
    "/api/v1/problems",
    "/api/v1/demands",
    "/api/v1/activities",
    "/api/v1/activities/campaigns",
    "/api/v1/activities/volunteer-services",
    "/api/v1/trainings",
    "/api/v1/evaluations/competitions",
    "/api/v1/evaluations/awards",
    "/api/v1/pairing/pairs",
    "/api/v1/pairing/partnerships",
    "/api/v1/people",
)


class Failed(Exception):
    """A step did not do what it should."""


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


def note(text: str) -> None:
    print(f"    {text}", flush=True)


def check(condition: Any, text: str) -> None:
    if not condition:
        raise Failed(text)


# --- the server -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _settings_env(var_dir: str | None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    if var_dir is not None:
        os.environ["TAIZHANG_VAR_DIR"] = var_dir
        os.environ.pop("TAIZHANG_DATABASE_URL", None)
    # The script talks to 127.0.0.1 directly, whatever proxy the machine sets.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        os.environ.pop(name, None)
    os.environ["NO_PROXY"] = "*"


def _django() -> None:
    import django

    django.setup()


@contextmanager
def temporary_server() -> Iterator[str]:
    """A fresh SQLite database with the demo in a temporary directory, ``runserver`` on
    it at a free port; stopped and removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="taizhang-demo-") as var_dir:
        _settings_env(var_dir)
        _django()
        from django.core.management import call_command

        step(f"Temporary server: migrate and load the demo into {var_dir}")
        call_command("migrate", verbosity=0)
        call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115, PTH123
        port = _free_port()
        log = open(Path(var_dir) / "server.log", "w")  # noqa: SIM115, PTH123
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "taizhang", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_for(url, server)
            note(f"runserver at {url} (pid {server.pid})")
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()


def _wait_for(url: str, server: subprocess.Popen[bytes]) -> None:
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise Failed(f"the server stopped (exit {server.returncode})")
        try:
            requests.get(f"{url}/open311/v2/services.json", timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.3)
    raise Failed("the server did not answer within 60 s")


# --- HTTP -------------------------------------------------------------------------


class Api:
    """``/api/v1/`` with one bearer token."""

    def __init__(self, base: str, token: str) -> None:
        import requests

        self.base = base.rstrip("/")
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers.update(
            {"Authorization": f"Bearer {token}", "Accept-Language": "zh-hans"}
        )

    def call(self, method: str, path: str, expect: int = 200, **kw: Any) -> Any:
        response = self.session.request(method, f"{self.base}{path}", timeout=TIMEOUT, **kw)
        check(
            response.status_code == expect,
            f"{method} {path}: {response.status_code} (expected {expect}): {response.text[:300]}",
        )
        return response.json() if response.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params=params)

    def post(self, path: str, body: Any, expect: int = 200) -> Any:
        return self.call("POST", path, expect=expect, json=body)

    def pull(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a list, page by page."""
        items: list[dict[str, Any]] = []
        while True:
            page = self.get(path, limit=200, offset=len(items), **params)
            items.extend(page["items"])
            if len(items) >= page["count"] or not page["items"]:
                return items


def login(base: str, username: str) -> Api:
    import requests

    response = requests.post(
        f"{base}/api/v1/auth/token",
        json={"username": username, "password": PASSWORD},
        timeout=TIMEOUT,
    )
    check(response.status_code == 200, f"login {username}: {response.status_code} {response.text}")
    return Api(base, response.json()["token"])


# --- 1. the administrators ----------------------------------------------------------


def register_service_account(username: str, role: str, org: Any) -> str:
    """What the security administrator does on 账号 → 新建 (a service account), 授权 and
    令牌: the account, its grant and a named token (shown once)."""
    from taizhang.accounts.models import AccountKind, ScopeKind, User
    from taizhang.accounts.services import grant_create, service_token_create, user_create

    security = User.objects.get(username="security")
    account = user_create(username=username, kind=AccountKind.SERVICE, acting_user=security)
    grant_create(
        user=account,
        role=role,
        scope_kind=ScopeKind.SUBTREE,
        organization=org,
        acting_user=security,
    )
    _record, token = service_token_create(
        user=account, name="integration demo", days=1, acting_user=security
    )
    note(f"service account {username}: {role} on {org.short_name}, token …{token[-6:]}")
    return token


def orgs() -> tuple[Any, Any]:
    """The district and its first subdistrict (street A of the demo)."""
    from taizhang.accounts.models import User

    street = User.objects.get(username="street_a").grants.filter(is_active=True).first()
    check(street is not None, "street_a has no grant")
    district = street.organization.parent
    return district, street.organization


# --- 2. the sync ------------------------------------------------------------------


def sync(base: str, token: str, street_org: Any) -> None:
    api = Api(base, token)
    step("First full pull of every ledger (the sync account, read-only on the district)")
    since = dt.datetime.now(dt.UTC)
    total = 0
    for path in LEDGERS:
        items = api.pull(path)
        stamps = [item["updated_at"] for item in items if item.get("updated_at")]
        unstamped = len(items) - len(stamps)
        newest = max(stamps, default="—")
        extra = f" ({unstamped} never written through an audited service)" if unstamped else ""
        note(f"{path}: {len(items)} records, newest write {newest}{extra}")
        total += len(items)
    check(total > 0, "the first pull found nothing")

    step("A clerk of street A puts a problem on the ledger (POST /api/v1/problems)")
    clerk = login(base, "street_a")
    problem = clerk.post(
        "/api/v1/problems",
        {
            "org_id": street_org.pk,
            "title": "集成演示：小区路灯不亮",
            "description": "由集成演示脚本登记。",
            "source": "survey",
            "deadline": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
        },
        expect=201,
    )
    note(f"problem {problem['number']} (id {problem['id']}), updated_at {problem['updated_at']}")

    step(f"Second pull with updated_since={since.isoformat()}")
    changed: dict[str, list[int]] = {}
    for path in LEDGERS:
        items = api.pull(path, updated_since=since.isoformat())
        for item in items:
            check(
                dt.datetime.fromisoformat(item["updated_at"]) >= since,
                f"{path}: {item['id']} has updated_at {item['updated_at']} before {since}",
            )
        if items:
            changed[path] = [item["id"] for item in items]
    note(f"changed: {changed}")
    check(changed == {"/api/v1/problems": [problem["id"]]}, f"expected only the problem: {changed}")

    step("The problem is removed again (an import undone); the tombstone feed names it")
    # Of the services that remove ledger rows, an import's undo is the one a clerk
    # reaches (from the import's page); routing_rule_delete leaves no tombstone yet.
    from taizhang.accounts.models import User
    from taizhang.problems.services import problem_import_undo

    deleted_since = dt.datetime.now(dt.UTC)
    removed = problem_import_undo(
        ids=[problem["id"]],
        source="集成演示",
        acting_user=User.objects.get(username="street_a"),
    )
    check(removed == 1, f"the undo removed {removed} problems")
    gone = api.pull("/api/v1/deleted", since=deleted_since.isoformat())
    note(f"GET /api/v1/deleted?since=…: {gone}")
    check(
        [(g["object_type"], g["id"]) for g in gone] == [("problems.problem", problem["id"])],
        f"the tombstone feed: {gone}",
    )
    again = [i["id"] for i in api.pull("/api/v1/problems", updated_since=since.isoformat())]
    check(problem["id"] not in again, f"the removed problem is still listed: {again}")


def first_category() -> Any:
    """The demand category the Open311 request and the work order are filed under."""
    from taizhang.demands.models import DemandCategory

    category = DemandCategory.objects.filter(is_active=True).order_by("pk").first()
    check(category is not None, "no demand category")
    return category


# --- 3. Open311 -------------------------------------------------------------------


def _updates(base: str, number: str) -> list[dict[str, Any]]:
    import requests

    response = requests.get(f"{base}/open311/v2/requests/{number}/updates.json", timeout=TIMEOUT)
    check(response.status_code == 200, f"updates of {number}: {response.status_code}")
    return list(response.json())


def demand_by_number(api: Api, number: str, since: dt.datetime) -> list[dict[str, Any]]:
    """The street's demand of that number, among those written since (the list's ``q``
    searches titles and contents, not numbers)."""
    written = api.pull("/api/v1/demands", updated_since=since.isoformat())
    found = [d for d in written if d["number"] == number]
    check(len(found) == 1, f"the demand {number} is not in street A's list")
    return found


def work_through(
    base: str, demand_id: int, handling_org_id: int, follow: Callable[[str], None]
) -> None:
    """The street assigns the demand (to itself, whatever the routing says), takes it on
    and replies, and its follow-up call is satisfied: 办结. ``follow`` is called after
    each step."""
    street = login(base, "street_a")
    demand = street.get(f"/api/v1/demands/{demand_id}")
    street.post(
        f"/api/v1/demands/{demand_id}/assign",
        {"handling_org_id": handling_org_id, "reason": "街道直接办理（集成演示）"},
    )
    follow("分派 (assign)")
    street.post(f"/api/v1/demands/{demand_id}/start", {})
    follow("办理 (start)")
    street.post(
        f"/api/v1/demands/{demand_id}/reply",
        {"reply_text": "已安排维修人员到场处理，问题已解决。"},
    )
    follow("答复 (reply)")
    done = street.post(
        f"/api/v1/demands/{demand_id}/follow-up", {"satisfaction": "satisfied", "note": "满意"}
    )
    follow("回访 (follow-up: satisfied)")
    note(f"demand {demand['number']}: {demand['state']} → {done['state']}")
    check(done["state"] == "closed", f"the demand ended {done['state']}")


def open311(base: str, token: str, street_org: Any) -> None:
    import requests
    from georeport import GeoReport

    root = f"{base}/open311/v2"
    client = GeoReport(root, api_key=token, output_format="json")
    step("Open311: the georeport client lists the services")
    services = client.get_service_list()
    code = first_category().code
    service = next((s for s in services if s["service_code"] == code), None)
    check(service is not None, f"the category {code} is not an Open311 service")
    note(f"{len(services)} services; using {service['service_code']} ({service['service_name']})")
    check(client.get_service_definition(service["service_code"]), "no service definition")

    step("Open311: a resident's request is posted with the service account's api_key")
    posted_at = dt.datetime.now(dt.UTC)
    answer = requests.post(
        f"{root}/requests.json",
        data={
            "api_key": token,
            "service_code": service["service_code"],
            "lat": "30.274085",
            "long": "120.155070",
            "address_string": "青岚区海韵路12号",
            "description": "小区门口路灯不亮已经三天，夜间行人看不清路。",
            "first_name": "晓明",
            "last_name": "欧阳",
            "phone": "13912345678",
        },
        timeout=TIMEOUT,
    )
    check(answer.status_code == 200, f"POST requests.json: {answer.status_code} {answer.text}")
    number = answer.json()[0]["service_request_id"]
    fetched = client.get_service_request(number)
    note(f"service_request_id {number}, status {fetched['status']}")
    check(fetched["status"] == "open", f"a new request is {fetched['status']}")
    check("13912345678" not in json.dumps(fetched), "the requester's phone left in an answer")

    street = login(base, "street_a")
    found = demand_by_number(street, number, posted_at)

    def follow(what: str) -> None:
        updates = _updates(base, number)
        last = updates[-1] if updates else {}
        note(f"{what}: {len(updates)} updates, last {last.get('status')} {last.get('description')}")

    step("Open311: the street works the demand; the client follows the update extension")
    work_through(base, found[0]["id"], street_org.pk, follow)
    final = client.get_service_request(number)
    updates = _updates(base, number)
    check(final["status"] == "closed", f"the request ended {final['status']}")
    check(updates and updates[-1]["status"] == "closed", f"the last update: {updates[-1:]}")
    note(f"办结: georeport reads status {final['status']}, {len(updates)} updates")


# --- 4. 12345 ---------------------------------------------------------------------


def hotline(base: str, street_org: Any) -> None:
    import requests

    from taizhang.accounts.models import User
    from taizhang.hotline.services import hotline_endpoint_create, pushes_dispatch
    from taizhang.hotline.signing import sign
    from taizhang.hotline.standin import platform_stand_in

    with platform_stand_in(HOTLINE_KEY) as platform:
        step(f"12345: the system administrator connects street A to the stand-in {platform.url}")
        account_token = register_service_account("hotline-demo", "grid_worker", street_org)
        del account_token  # the endpoint's account signs nothing: the shared key does
        category = first_category()
        hotline_endpoint_create(
            org=street_org,
            code="demo-12345",
            name="集成演示 12345",
            account=User.objects.get(username="hotline-demo"),
            push_url=platform.url,
            default_category=category,
            shared_key=HOTLINE_KEY,
            acting_user=User.objects.get(username="sysadmin"),
        )

        order_no = f"GD{dt.datetime.now():%Y%m%d%H%M%S}"
        body = json.dumps(
            {
                "order_no": order_no,
                "title": "小区电梯频繁故障",
                "content": "电梯一周停运三次，老人出行困难。",
                "requester": {"name": "张女士", "phone": "13812345678"},
                "address": "青岚区海韵路12号",
            },
            ensure_ascii=False,
        ).encode()

        def post() -> Any:
            stamp = str(int(time.time()))
            return requests.post(
                f"{base}/hotline/v1/work-orders",
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Key-Id": "demo-12345",
                    "X-Timestamp": stamp,
                    "X-Signature": sign(HOTLINE_KEY, stamp, body),
                },
                timeout=TIMEOUT,
            )

        step(f"12345: the platform posts work order {order_no} (signed)")
        posted_at = dt.datetime.now(dt.UTC)
        first = post()
        check(first.status_code == 201, f"work order: {first.status_code} {first.text}")
        number = first.json()["demand_number"]
        note(f"201 {first.json()}")
        again = post()
        check(
            again.status_code == 200 and again.json()["demand_number"] == number,
            f"the same order again: {again.status_code} {again.text}",
        )
        check(again.json()["duplicate"] is True, "the repeat is not marked duplicate")
        note(f"again: 200 {again.json()}")

        street = login(base, "street_a")
        found = demand_by_number(street, number, posted_at)

        def follow(what: str) -> None:
            # What ``taizhang worker`` does as the changes commit; run here so the
            # script needs no worker beside the server.
            sent = pushes_dispatch()
            events = [r.body["event"] for r in platform.accepted]
            note(f"{what}: pushed {sent['sent']} of {sent['attempted']}; the platform has {events}")

        step("12345: the street works the demand; each change is pushed back, signed")
        work_through(base, found[0]["id"], street_org.pk, follow)
        events = [r.body["event"] for r in platform.accepted]
        check(
            events == ["assigned", "handling", "replied", "satisfaction", "closed"],
            f"the platform received {events}",
        )
        check(all(r.signed for r in platform.received), "a push with a bad signature")
        check(
            all("13812345678" not in r.raw.decode() for r in platform.received),
            "a push carried the requester's phone",
        )
        note(f"the platform received {len(events)} signed pushes: {', '.join(events)}")


# --- the run ----------------------------------------------------------------------


def run(base: str) -> None:
    district, street_org = orgs()
    step("The security administrator registers the service accounts and issues tokens")
    sync_token = register_service_account("sync-demo", "viewer", district)
    open311_token = register_service_account("open311-demo", "grid_worker", street_org)
    sync(base, sync_token, street_org)
    open311(base, open311_token, street_org)
    hotline(base, street_org)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--url", help="a running server on this process's database")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        with ExitStack() as stack:
            if args.url:
                _settings_env(None)
                _django()
                base = args.url.rstrip("/")
            else:
                base = stack.enter_context(temporary_server())
            run(base)
    except Failed as failure:
        print(f"FAILED: {failure}", file=sys.stderr, flush=True)
        return 1
    except Exception:  # noqa: BLE001 - any error is a failed run, said as one
        traceback.print_exc()
        print("FAILED: the step above raised", file=sys.stderr, flush=True)
        return 1
    print(f"All steps passed in {time.monotonic() - started:.1f} s.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
