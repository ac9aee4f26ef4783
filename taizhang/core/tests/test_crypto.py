"""Personal data encrypted at rest (ADR 0058): tokens, keys, hashes, settings, files."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.test import override_settings

from config.settings.base import (
    data_cipher_from_environment,
    data_keys_from_text,
    database_from_url,
    owner_only_directory,
)
from taizhang.core import crypto

ROOT = Path(__file__).resolve().parents[3]
KEY_1 = "k1-" + "a" * 40
KEY_2 = "k2-" + "b" * 40
PURPOSE = "people.person.mobile"


@pytest.mark.parametrize("cipher", ["aes-gcm", "sm4"])
def test_a_value_round_trips_and_the_token_holds_no_plaintext(cipher):
    with override_settings(DATA_KEYS={1: KEY_1}, DATA_CIPHER=cipher):
        token = crypto.encrypt("13812345678", PURPOSE)
        assert token.startswith("enc:1:")
        assert "13812345678" not in token
        assert crypto.decrypt(token, PURPOSE) == "13812345678"
        # A fresh nonce each time: equal values are not equal tokens.
        assert crypto.encrypt("13812345678", PURPOSE) != token


def test_empty_stays_empty_and_legacy_plaintext_reads_as_it_is():
    assert crypto.encrypt("", PURPOSE) == ""
    assert crypto.decrypt("", PURPOSE) == ""
    assert crypto.decrypt("13812345678", PURPOSE) == "13812345678"


def test_a_wrong_key_is_a_clear_error_not_garbage():
    with override_settings(DATA_KEYS={1: KEY_1}):
        token = crypto.encrypt("110101199003071234", "people.person.id_number")
    with (
        override_settings(DATA_KEYS={1: KEY_2}),
        pytest.raises(crypto.PersonalDataUnreadable, match="does not decrypt with data key"),
    ):
        crypto.decrypt(token, "people.person.id_number")


def test_a_key_version_no_longer_configured_is_named():
    with override_settings(DATA_KEYS={2: KEY_2, 1: KEY_1}):
        token = crypto.encrypt("13812345678", PURPOSE)
    assert token.startswith("enc:2:")
    with (
        override_settings(DATA_KEYS={1: KEY_1}),
        pytest.raises(crypto.PersonalDataUnreadable, match="version 2"),
    ):
        crypto.decrypt(token, PURPOSE)


def test_old_versions_and_the_other_cipher_still_decrypt():
    with override_settings(DATA_KEYS={1: KEY_1}, DATA_CIPHER="aes-gcm"):
        old = crypto.encrypt("13812345678", PURPOSE)
    with override_settings(DATA_KEYS={2: KEY_2, 1: KEY_1}, DATA_CIPHER="sm4"):
        assert crypto.encrypt("x", PURPOSE).startswith("enc:2:")
        assert crypto.decrypt(old, PURPOSE) == "13812345678"


def test_a_token_moved_to_another_column_or_altered_does_not_decrypt():
    token = crypto.encrypt("13812345678", PURPOSE)
    with pytest.raises(crypto.PersonalDataUnreadable):
        crypto.decrypt(token, "people.person.id_number")
    body = token[len("enc:1:") :]
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(crypto.PersonalDataUnreadable):
        crypto.decrypt("enc:1:" + flipped, PURPOSE)
    with pytest.raises(crypto.PersonalDataUnreadable, match="damaged"):
        crypto.decrypt("enc:1:abc", PURPOSE)


def test_no_key_configured_refuses_to_encrypt():
    with (
        override_settings(DATA_KEYS={}),
        pytest.raises(ImproperlyConfigured, match="TAIZHANG_DATA_KEYS"),
    ):
        crypto.encrypt("13812345678", PURPOSE)


@pytest.mark.parametrize("cipher", ["aes-gcm", "sm4"])
def test_the_keyed_hash_is_stable_keyed_and_normalized(cipher):
    with override_settings(DATA_KEYS={1: KEY_1}, DATA_CIPHER=cipher):
        first = crypto.blind_index(" 99010219900101123x ", "p.id", "upper")
        assert first == crypto.blind_index("99010219900101123X", "p.id", "upper")
        assert len(first) == 64 and "1234" not in first
        assert first != crypto.blind_index("99010219900101123X", "p.other", "upper")
        assert crypto.blind_index("", "p.id") == ""
    with override_settings(DATA_KEYS={1: KEY_2}, DATA_CIPHER=cipher):
        assert crypto.blind_index("99010219900101123X", "p.id", "upper") != first


def test_lookups_find_rows_hashed_under_an_older_key_or_cipher():
    with override_settings(DATA_KEYS={1: KEY_1}, DATA_CIPHER="aes-gcm"):
        old = crypto.blind_index("13812345678", PURPOSE)
    with override_settings(DATA_KEYS={2: KEY_2, 1: KEY_1}, DATA_CIPHER="sm4"):
        assert old in crypto.blind_indexes("13812345678", PURPOSE)
        assert crypto.blind_index("13812345678", PURPOSE) in crypto.blind_indexes(
            "13812345678", PURPOSE
        )


@pytest.mark.django_db
def test_filtering_an_encrypted_column_by_value_is_refused():
    from taizhang.people.models import Person

    assert not Person.objects.filter(mobile="").exists()
    with pytest.raises(FieldError, match="encrypted"):
        list(Person.objects.filter(mobile="13812345678"))
    with pytest.raises(FieldError):
        list(Person.objects.filter(id_number__icontains="1234"))
    with pytest.raises(FieldError):
        list(Person.objects.filter(mobile__in=["13812345678"]))


def test_key_text_is_checked():
    assert data_keys_from_text(f"2:{KEY_2},1:{KEY_1}") == {2: KEY_2, 1: KEY_1}
    with pytest.raises(ImproperlyConfigured, match="shorter"):
        data_keys_from_text("1:short")
    with pytest.raises(ImproperlyConfigured, match="twice"):
        data_keys_from_text(f"1:{KEY_1},1:{KEY_2}")
    with pytest.raises(ImproperlyConfigured, match="share"):
        data_keys_from_text(f"1:{KEY_1},2:{KEY_1}")
    with pytest.raises(ImproperlyConfigured, match="version"):
        data_keys_from_text(KEY_1)


def test_the_cipher_setting_is_checked(monkeypatch):
    monkeypatch.setenv("TAIZHANG_DATA_CIPHER", "SM4")
    assert data_cipher_from_environment() == "sm4"
    monkeypatch.setenv("TAIZHANG_DATA_CIPHER", "des")
    with pytest.raises(ImproperlyConfigured, match="aes-gcm, sm4"):
        data_cipher_from_environment()


def test_the_system_check_names_a_missing_key():
    with override_settings(DATA_KEYS={}):
        errors = crypto.check_data_encryption()
    assert [e.id for e in errors] == ["taizhang.E058"]
    assert crypto.check_data_encryption() == []


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAIZHANG_")}
    env.update(
        TAIZHANG_SECRET_KEY="probe-secret-" + "x" * 60,
        TAIZHANG_AUDIT_KEY="probe-audit-key-0123456789",
        TAIZHANG_VAR_DIR=str(tmp_path / "var"),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def _settings(env: dict[str, str], module: str, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import {module} as s; {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_a_data_key_refuses_to_start(tmp_path):
    done = _settings(_env(tmp_path), "config.settings.prod", "print(s.DATA_KEYS)")
    assert done.returncode != 0
    assert "TAIZHANG_DATA_KEYS is not set" in done.stderr
    done = _settings(
        _env(tmp_path, TAIZHANG_DATA_KEYS=f"1:{KEY_1}"),
        "config.settings.prod",
        "print(s.DATA_KEYS)",
    )
    assert done.returncode == 0, done.stderr
    assert KEY_1 in done.stdout


def test_make_run_generates_its_data_key_owner_only_and_keeps_it(tmp_path):
    env = _env(tmp_path)
    del env["TAIZHANG_SECRET_KEY"], env["TAIZHANG_AUDIT_KEY"]
    first = _settings(env, "config.settings.dev", "print(s.DATA_KEYS[1])")
    assert first.returncode == 0, first.stderr
    path = tmp_path / "var" / "keys" / "data.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "var").stat().st_mode) == 0o700
    assert first.stdout.strip() == path.read_text().strip()
    assert len(first.stdout.strip()) >= 32
    again = _settings(env, "config.settings.dev", "print(s.DATA_KEYS[1])")
    assert again.stdout == first.stdout
    # The SQLite file was created owner-only before SQLite opened it.
    database = tmp_path / "var" / "taizhang.sqlite3"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_an_existing_readable_var_and_database_are_tightened_by_make_run(tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    database = var / "taizhang.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o644)
    env = _env(tmp_path)
    done = _settings(env, "config.settings.dev", "print('ok')")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_the_default_sqlite_file_and_var_are_created_owner_only(tmp_path, monkeypatch):
    import config.settings.base as base

    target = tmp_path / "fresh" / "var"
    monkeypatch.setattr(base, "VAR_DIR", target)
    config = database_from_url(None)
    assert Path(config["NAME"]) == target / "taizhang.sqlite3"
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert stat.S_IMODE((target / "taizhang.sqlite3").stat().st_mode) == 0o600
    # A file named by URL is created owner-only too, and SQLite keeps that mode.
    other = tmp_path / "other.sqlite3"
    database_from_url(f"sqlite:///{other}")
    assert stat.S_IMODE(other.stat().st_mode) == 0o600
    import sqlite3

    connection = sqlite3.connect(other)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    for suffix in ("-wal", "-shm"):
        extra = Path(f"{other}{suffix}")
        if extra.exists():
            assert stat.S_IMODE(extra.stat().st_mode) & 0o077 == 0
    connection.close()


def test_owner_only_directory_leaves_a_production_directory_as_the_operator_set_it(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o750)
    owner_only_directory(data)
    assert stat.S_IMODE(data.stat().st_mode) == 0o750
    owner_only_directory(data, tighten=True)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
