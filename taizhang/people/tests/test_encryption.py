"""ID numbers and mobiles are encrypted in the database (ADR 0058, issue 19 §3): the
columns never hold the plaintext, searches by them still find the person, old plaintext
rows read, and the data migration encrypts them."""

from __future__ import annotations

import datetime as dt
import importlib
import io

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from taizhang.core import crypto
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.people.models import Person
from taizhang.people.services import community_report_create, person_update
from taizhang.people.tests.factories import make_person

pytestmark = pytest.mark.django_db

MOBILE = "13712340001"
ID_NUMBER = "99010219900101123X"
OTHER_KEY = "another-data-key-" + "z" * 40


def _raw(pk: int) -> tuple[str, str, str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT mobile, id_number, mobile_hash, id_number_hash FROM people_person "
            "WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()


def _insert_plaintext(org_id: int, name: str, mobile: str, id_number: str) -> int:
    """A row as the benchmark generator or a bulk load writes it: by SQL, in clear."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO people_person (name, gender, mobile, id_number, birth_date, "
            "is_external, affiliation, created_at, organization_id) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [name, "M", mobile, id_number, None, False, "", timezone.now(), org_id],
        )
    return Person.objects.get(name=name).pk


def test_the_columns_hold_tokens_and_hashes_never_the_plaintext(tree):
    person = make_person(tree.community_a, "甲", mobile=MOBILE, id_number=ID_NUMBER)
    mobile, id_number, mobile_hash, id_number_hash = _raw(person.pk)
    assert mobile.startswith("enc:1:") and id_number.startswith("enc:1:")
    row = "".join(_raw(person.pk))
    for secret in (MOBILE, ID_NUMBER, MOBILE[-4:] + MOBILE[:3], ID_NUMBER[:6]):
        assert secret not in row
    assert len(mobile_hash) == len(id_number_hash) == 64
    # Read back through the model, values() and values_list() alike.
    again = Person.objects.get(pk=person.pk)
    assert (again.mobile, again.id_number) == (MOBILE, ID_NUMBER)
    assert Person.objects.filter(pk=person.pk).values("mobile")[0]["mobile"] == MOBILE
    assert again.masked_mobile == "137****0001"


def test_an_empty_value_stays_empty_and_unhashed(tree):
    person = make_person(tree.community_a, "乙", mobile="", id_number="")
    assert _raw(person.pk) == ("", "", "", "")


def test_an_update_keeps_the_hash_in_step(tree):
    person = make_person(tree.community_a, "丙", mobile=MOBILE, id_number="")
    person_update(person=person, mobile="13712340002", acting_user=SYSTEM)
    assert not Person.objects.with_mobile(MOBILE).exists()
    assert list(Person.objects.with_mobile("13712340002")) == [person]
    # save(update_fields=[...]) names the hash too.
    person.refresh_from_db()
    person.id_number = ID_NUMBER
    person.save(update_fields=["id_number"])
    assert list(Person.objects.with_id_number(ID_NUMBER.lower())) == [person]


def test_equality_lookups_go_through_the_hash(tree):
    wanted = make_person(tree.community_a, "丁", mobile=MOBILE, id_number=ID_NUMBER)
    make_person(tree.community_a, "戊", mobile="13712340009", id_number="990102199001019999")
    assert list(Person.objects.with_mobile(f" {MOBILE} ")) == [wanted]
    assert list(Person.objects.with_id_number(ID_NUMBER.lower(), "nope")) == [wanted]
    assert not Person.objects.with_mobile("").exists()


def test_a_community_clerk_still_finds_the_member_by_name_and_mobile(tree, personas, client):
    """The 双报到 form looks the member up by name and mobile, through the hash."""
    from taizhang.accounts.models import ScopeKind
    from taizhang.organizations.models import OrgKind
    from tests.support import make_org, make_user

    organ = make_org(tree.street_b, "BJ", OrgKind.ORGAN)
    member = make_person(organ, "林报到", mobile=MOBILE)
    clerk = make_user("clerk_a1", ("clerk", ScopeKind.ORG, tree.community_a))
    client.force_login(clerk)
    url = f"/people/reports/{tree.community_a.pk}/"
    today = timezone.localdate() - dt.timedelta(days=1)
    response = client.post(
        url, {"name": "林报到", "mobile": MOBILE, "reported_on": today.isoformat()}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert member.reports.get().community == tree.community_a
    # A wrong number finds nobody.
    with pytest.raises(ValidationError) as refused:
        community_report_create(
            community=tree.community_a,
            reported_on=today,
            name="林报到",
            mobile="13712349999",
            acting_user=clerk,
        )
    assert list(refused.value.message_dict) == ["mobile"]


def test_legacy_plaintext_rows_read_and_the_rotation_encrypts_them(tree):
    pk = _insert_plaintext(tree.community_a.pk, "己", MOBILE, ID_NUMBER)
    assert _raw(pk) == (MOBILE, ID_NUMBER, "", "")
    legacy = Person.objects.get(pk=pk)
    assert (legacy.mobile, legacy.id_number, legacy.masked_mobile) == (
        MOBILE,
        ID_NUMBER,
        "137****0001",
    )
    out = io.StringIO()
    call_command("personal_data", "status", stdout=out)
    assert "people.person.mobile: plaintext 1, key 1 0" in out.getvalue()
    call_command("personal_data", "rotate", stdout=io.StringIO())
    mobile, id_number, mobile_hash, _ = _raw(pk)
    assert mobile.startswith("enc:1:") and id_number.startswith("enc:1:") and mobile_hash
    assert list(Person.objects.with_mobile(MOBILE)) == [legacy]
    event = AuditEvent.objects.filter(action="personal_data.rotate").get()
    assert event.changes["rows"]["people.person"] == 1
    assert MOBILE not in str(event.changes)


def test_the_data_migration_encrypts_existing_rows_in_batches(tree):
    pks = [
        _insert_plaintext(tree.community_a.pk, f"批{n}", f"1371234{n:04d}", "") for n in range(5)
    ]
    migration = importlib.import_module("taizhang.people.migrations.0005_personal_data_encrypted")
    written = crypto.reencrypt(apps.get_model("people", "Person"), batch_size=2)
    assert written == 5
    migration.encrypt_rows(apps, None)  # the migration's own step, run again: harmless
    for n, pk in enumerate(pks):
        mobile, id_number, mobile_hash, id_number_hash = _raw(pk)
        assert mobile.startswith("enc:1:") and f"{n:04d}" not in mobile
        assert (id_number, id_number_hash) == ("", "")
        assert Person.objects.get(pk=pk).mobile == f"1371234{n:04d}"
        assert list(Person.objects.with_mobile(f"1371234{n:04d}").values_list("pk", flat=True)) == [
            pk
        ]
    migration.decrypt_rows(apps, None)
    assert _raw(pks[0]) == ("13712340000", "", "", "")


def test_key_rotation_rewrites_under_the_new_key_and_keeps_search(tree):
    person = make_person(tree.community_a, "庚", mobile=MOBILE, id_number=ID_NUMBER)
    old = crypto.data_keys()[1]
    with override_settings(DATA_KEYS={2: OTHER_KEY, 1: old}):
        # Before the rewrite: old tokens read, old hashes are found.
        assert Person.objects.get(pk=person.pk).mobile == MOBILE
        assert list(Person.objects.with_mobile(MOBILE)) == [person]
        call_command("personal_data", "rotate", stdout=io.StringIO())
        assert _raw(person.pk)[0].startswith("enc:2:")
    with override_settings(DATA_KEYS={2: OTHER_KEY}):
        assert Person.objects.get(pk=person.pk).id_number == ID_NUMBER
        assert list(Person.objects.with_id_number(ID_NUMBER)) == [person]


def test_a_wrong_key_fails_loudly_on_read(tree):
    person = make_person(tree.community_a, "辛", mobile=MOBILE)
    with (
        override_settings(DATA_KEYS={1: OTHER_KEY}),
        pytest.raises(crypto.PersonalDataUnreadable, match="people.person.mobile"),
    ):
        Person.objects.get(pk=person.pk)


def test_sm4_deployments_store_and_find_the_same(tree):
    with override_settings(DATA_CIPHER="sm4"):
        person = make_person(tree.community_a, "壬", mobile=MOBILE, id_number=ID_NUMBER)
        assert Person.objects.get(pk=person.pk).id_number == ID_NUMBER
        assert list(Person.objects.with_id_number(ID_NUMBER)) == [person]
    # Back on AES, the SM4 rows still read and are found.
    assert Person.objects.get(pk=person.pk).mobile == MOBILE
    assert list(Person.objects.with_mobile(MOBILE)) == [person]
