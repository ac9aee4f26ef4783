"""Telling people something: the one call every module makes to send a message.

A module that wants someone to hear of a record (a notice was published, a reporting
task was sent or sent back, 催报) calls :func:`notify` inside its service's transaction.
The ``reminders`` module registers the sender that stores the message in each
recipient's message centre and hands it to the outside channels (a chat-tool robot's
webhook) after the transaction commits, in the background, so a channel that is down
never blocks or undoes the write. Core imports no module: without a registered sender
(a project that leaves reminders out) nothing is sent and ``notify`` answers 0.

A message carries no personal data beyond names: the title and body say what happened
and where to go; the link leads to the record, which the recipient reads through its
module's scope policy like any other page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Notice:
    """One message to a set of users.

    ``rule`` names the reminder rule it falls under (the reminders dictionary decides
    whether and where it goes, e.g. ``"reporting.urge"``); ``source`` is the record it is
    about (its type and id are kept so the message centre can group and the sender can
    avoid repeating itself); ``org`` is the organization whose channels (webhooks) may
    also carry it.
    """

    rule: str
    title: str
    body: str = ""
    url: str = ""
    source: Any = None
    org: Any = None


@dataclass(frozen=True)
class Rule:
    """A kind of message, declared by the module that sends it (in its manifest).

    The reminders module keeps the dictionary a system administrator edits (whether the
    rule is on, how many working days before a deadline it fires, whether it also goes
    to the organizations' chat robots); ``days_before`` is the default for rules that
    fire ahead of a deadline, ``None`` for rules that fire on an event (escalation,
    send-back, publication).
    """

    code: str
    label: Any
    description: Any = ""
    days_before: int | None = None


RULES: dict[str, Rule] = {}


def register_rule(rule: Rule) -> Rule:
    if rule.code in RULES and RULES[rule.code] != rule:
        raise ValueError(f"Reminder rule {rule.code!r} registered twice")
    RULES[rule.code] = rule
    return rule


Sender = Callable[[Notice, list[Any]], int]

_SENDERS: list[Sender] = []


def register_sender(sender: Sender) -> None:
    if sender not in _SENDERS:
        _SENDERS.append(sender)


def notify(
    *,
    recipients: Iterable[Any],
    rule: str,
    title: str,
    body: str = "",
    url: str = "",
    source: Any = None,
    org: Any = None,
) -> int:
    """Send one message to ``recipients`` (user accounts); answer how many got it.

    Duplicates and inactive accounts are left out. Call it from a service, inside its
    transaction: if the write rolls back, so does the message.
    """
    users: dict[int, Any] = {}
    for user in recipients:
        if user is not None and getattr(user, "is_active", False) and user.pk not in users:
            users[user.pk] = user
    if not users or not _SENDERS:
        return 0
    notice = Notice(rule=rule, title=title, body=body, url=url, source=source, org=org)
    sent = 0
    for sender in _SENDERS:
        sent = max(sent, sender(notice, list(users.values())))
    return sent
