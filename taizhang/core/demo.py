"""The demo district: each module's ``demo.py`` adds its part, in module order.

Every name is invented. The loader runs only on an empty database and goes through
the modules' services, so the demo also fills the audit trail as real use would.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

DEMO_PASSWORD = "Taizhang@2026"  # noqa: S105 - documented demo password


@dataclass
class DemoContext:
    """What earlier modules made, for later modules to build on."""

    rng: random.Random
    orgs: dict[str, Any] = field(default_factory=dict)  # by code
    district: Any = None
    subdistricts: list[Any] = field(default_factory=list)
    communities: list[Any] = field(default_factory=list)  # communities and villages
    grids: list[Any] = field(default_factory=list)
    organs: list[Any] = field(default_factory=list)
    enterprises: list[Any] = field(default_factory=list)
    persons: list[Any] = field(default_factory=list)
    users: dict[str, Any] = field(default_factory=dict)  # demo login → user
    logins: list[tuple[str, str]] = field(default_factory=list)  # (username, description)
    # Steps a module needs after every module loaded (e.g. "the auditor has read the
    # setup"), run in the order added.
    finishers: list[Any] = field(default_factory=list)


def working_moment(day: dt.date, rng: random.Random) -> dt.datetime:
    """A moment in office hours (08:00–17:59) of ``day``, never later than now, for
    records the demo back-dates."""
    moment = dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randint(0, 59)))
    return min(timezone.make_aware(moment), timezone.now())


def demo_modules() -> list[Any]:
    modules = []
    for name in settings.TAIZHANG_MODULES:
        if name == "core":  # this module is the runner, not a contributor
            continue
        dotted = f"taizhang.{name}.demo"
        if find_spec(dotted) is not None:
            modules.append(import_module(dotted))
    return modules


@transaction.atomic
def load_demo(seed: int = 2026) -> DemoContext:
    ctx = DemoContext(rng=random.Random(seed))
    for module in demo_modules():
        module.load(ctx)
    for finish in ctx.finishers:
        finish(ctx)
    return ctx
