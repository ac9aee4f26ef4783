"""Personal data encrypted at rest (ADR 0058, issue 19 §3).

ID numbers and mobiles are stored as tokens ``enc:<key version>:<base64>``, where the
base64 text holds one algorithm byte, a 12-byte nonce and the GCM ciphertext with its
tag. The algorithm is AES-256-GCM by default, or SM4-GCM with
``TAIZHANG_DATA_CIPHER=sm4`` for deployments assessed under 密评. The associated data is
the column (``people.person.mobile``), so a token copied into another column does not
decrypt.

Equality search goes through a keyed hash kept beside the column (``mobile_hash``):
HMAC-SHA256, or HMAC-SM3 under ``sm4``, of the normalized value. A lookup computes the
hash under every configured key version and both algorithms, so rows written before a
rotation or a change of cipher are found until ``taizhang personal_data rotate`` has
rewritten them. Sorting and substring search on these columns are not possible.

Keys come from ``settings.DATA_KEYS`` (``TAIZHANG_DATA_KEYS="2:new,1:old"``, current
first; ``TAIZHANG_DATA_KEY`` is ``1:key``): required in production, generated into
``var/keys/data.key`` by the development settings, fixed in the test settings. Each is a
text of at least 32 characters; the cipher's and the hash's keys are derived from it by
HKDF, so one secret per version is all an operator keeps.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.validators import MaxLengthValidator
from django.db import models, router, transaction
from django.db.models import Q
from django.db.models.lookups import Exact

PREFIX = "enc:"
NONCE_BYTES = 12
TAG_BYTES = 16
AES_GCM = "aes-gcm"
SM4 = "sm4"
CIPHERS = (AES_GCM, SM4)
# The algorithm byte inside a token, so a change of cipher leaves old tokens readable.
_ALGORITHM_BYTE = {AES_GCM: 1, SM4: 2}
_ALGORITHM_OF_BYTE = {byte: name for name, byte in _ALGORITHM_BYTE.items()}
_ALGORITHM_LABEL = {AES_GCM: "AES-256-GCM", SM4: "SM4-GCM"}


class PersonalDataUnreadable(RuntimeError):
    """A stored token cannot be decrypted with the configured keys: a wrong key, a key
    version no longer configured, or a damaged value. Never answered with garbage."""


# --- keys -------------------------------------------------------------------------


def generate_key() -> str:
    """A new data key: 256 random bits as URL-safe text (43 characters)."""
    import secrets

    return secrets.token_urlsafe(32)


def data_keys() -> dict[int, str]:
    """The configured keys, current first."""
    keys: dict[int, str] = dict(getattr(settings, "DATA_KEYS", None) or {})
    if not keys:
        raise ImproperlyConfigured(
            "No data key: set TAIZHANG_DATA_KEYS (or TAIZHANG_DATA_KEY) to encrypt personal "
            "data, and keep a copy in escrow; see docs/deploy.md"
        )
    return keys


def current_cipher() -> str:
    name = getattr(settings, "DATA_CIPHER", AES_GCM) or AES_GCM
    if name not in CIPHERS:
        raise ImproperlyConfigured(f"DATA_CIPHER must be one of {', '.join(CIPHERS)}")
    return name


def _digest(algorithm: str) -> Any:
    from cryptography.hazmat.primitives import hashes

    return hashes.SM3() if algorithm == SM4 else hashes.SHA256()


@lru_cache(maxsize=64)
def _derived(secret: str, algorithm: str, purpose: str) -> bytes:
    """A sub-key of ``secret`` for one use: HKDF-SHA256, or HKDF-SM3 for SM4."""
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    length = 16 if (algorithm == SM4 and purpose == "cipher") else 32
    info = f"taizhang personal data {purpose} {algorithm}".encode()
    return HKDF(algorithm=_digest(algorithm), length=length, salt=None, info=info).derive(
        secret.encode()
    )


def _seal(algorithm: str, key: bytes, nonce: bytes, plain: bytes, aad: bytes) -> bytes:
    if algorithm == AES_GCM:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        return AESGCM(key).encrypt(nonce, plain, aad)
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(plain) + encryptor.finalize() + encryptor.tag


def _open(algorithm: str, key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    if algorithm == AES_GCM:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        return AESGCM(key).decrypt(nonce, sealed, aad)
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    body, tag = sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    return decryptor.update(body) + decryptor.finalize()


def _aad(purpose: str, algorithm_byte: int, version: int) -> bytes:
    return f"{purpose}\x00{algorithm_byte}\x00{version}".encode()


# --- tokens -----------------------------------------------------------------------


def is_token(value: str) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def encrypt(text: str, purpose: str = "") -> str:
    """``text`` as a token under the current key and cipher; empty stays empty."""
    if text is None or text == "":
        return text
    keys = data_keys()
    version = next(iter(keys))
    algorithm = current_cipher()
    byte = _ALGORITHM_BYTE[algorithm]
    nonce = os.urandom(NONCE_BYTES)
    sealed = _seal(
        algorithm,
        _derived(keys[version], algorithm, "cipher"),
        nonce,
        str(text).encode(),
        _aad(purpose, byte, version),
    )
    body = base64.urlsafe_b64encode(bytes([byte]) + nonce + sealed).rstrip(b"=").decode()
    return f"{PREFIX}{version}:{body}"


def decrypt(value: str, purpose: str = "") -> str:
    """The text of a token. A value without the prefix is legacy plaintext (rows written
    before encryption, or inserted by SQL) and is returned as it is."""
    if not is_token(value):
        return value
    where = purpose or "a value"
    version_text, sep, body = value[len(PREFIX) :].partition(":")
    if not sep or not version_text.isdigit():
        raise PersonalDataUnreadable(f"The encrypted value of {where} is damaged (no key version)")
    version = int(version_text)
    keys = data_keys()
    if version not in keys:
        raise PersonalDataUnreadable(
            f"{where} was encrypted with data key version {version}, which TAIZHANG_DATA_KEYS "
            f"does not hold (it holds {', '.join(map(str, keys))}); restore that key "
            "(docs/deploy.md, key rotation)"
        )
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as error:
        raise PersonalDataUnreadable(f"The encrypted value of {where} is damaged") from error
    if len(raw) < 1 + NONCE_BYTES + TAG_BYTES or raw[0] not in _ALGORITHM_OF_BYTE:
        raise PersonalDataUnreadable(f"The encrypted value of {where} is damaged")
    algorithm = _ALGORITHM_OF_BYTE[raw[0]]
    nonce, sealed = raw[1 : 1 + NONCE_BYTES], raw[1 + NONCE_BYTES :]
    from cryptography.exceptions import InvalidTag

    try:
        plain = _open(
            algorithm,
            _derived(keys[version], algorithm, "cipher"),
            nonce,
            sealed,
            _aad(purpose, raw[0], version),
        )
    except InvalidTag as error:
        raise PersonalDataUnreadable(
            f"{where} does not decrypt with data key version {version} "
            f"({_ALGORITHM_LABEL[algorithm]}): the key is not the one that encrypted it, or "
            "the value was altered or copied from another column"
        ) from error
    return plain.decode()


# --- keyed hashes for equality search ---------------------------------------------


def normalized(text: str, normalize: str = "strip") -> str:
    text = (text or "").strip()
    if normalize == "upper":
        text = text.upper()
    return text


def _index(secret: str, algorithm: str, purpose: str, text: str) -> str:
    key = _derived(secret, algorithm, "index")
    message = f"{purpose}\x00{text}".encode()
    if algorithm == SM4:
        from cryptography.hazmat.primitives import hmac as crypto_hmac

        mac = crypto_hmac.HMAC(key, _digest(SM4))
        mac.update(message)
        return mac.finalize().hex()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def blind_index(text: str, purpose: str, normalize: str = "strip") -> str:
    """The keyed hash stored beside a column: current key, current cipher's hash."""
    text = normalized(text, normalize)
    if not text:
        return ""
    keys = data_keys()
    return _index(keys[next(iter(keys))], current_cipher(), purpose, text)


def blind_indexes(text: str, purpose: str, normalize: str = "strip") -> list[str]:
    """Every hash a stored row of ``text`` may carry: each key version, both hashes."""
    text = normalized(text, normalize)
    if not text:
        return []
    return [
        _index(secret, algorithm, purpose, text)
        for secret in data_keys().values()
        for algorithm in (current_cipher(), *(c for c in CIPHERS if c != current_cipher()))
    ]


# --- model fields -----------------------------------------------------------------


class EncryptedExact(Exact):  # type: ignore[type-arg]
    """``field=""`` only: any other value would be compared with a ciphertext."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None) and not hasattr(self.rhs, "resolve_expression"):
            field = self.lhs.output_field
            raise FieldError(
                f"{field.purpose} is encrypted: look it up through its keyed hash "
                "(crypto.equals, e.g. Person.objects.with_mobile), not by value"
            )
        return super().get_prep_lookup()


class EncryptedCharField(models.TextField):  # type: ignore[type-arg]
    """Text encrypted at rest. ``max_length`` bounds the plaintext (validated like a
    CharField's); the column is a text column holding the token. Reading decrypts;
    a value without the ``enc:`` prefix reads as legacy plaintext; ``""`` stays ``""``.
    Only ``=""`` and ``isnull`` lookups work (equality goes through a
    :class:`BlindIndexField`)."""

    description = "Text encrypted at rest (ADR 0058)"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(MaxLengthValidator(self.max_length))

    @property
    def purpose(self) -> str:
        model = getattr(self, "model", None)
        return f"{model._meta.label_lower}.{self.name}" if model is not None else self.name

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt(value, self.purpose)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return decrypt(value, self.purpose) if is_token(value) else value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value), self.purpose)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return EncryptedExact
        return None

    def get_transform(self, name: str) -> Any:
        return None

    def formfield(
        self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any
    ) -> Any:
        from django import forms

        return forms.CharField(
            max_length=self.max_length, required=not self.blank, label=self.verbose_name
        )


class BlindIndexField(models.CharField):  # type: ignore[type-arg]
    """The keyed hash of another field (``source``), indexed, kept in step on every
    save (``pre_save``) and bulk_create; ``""`` for an empty value. ``normalize`` is
    ``strip`` or ``upper`` (ID numbers: a trailing x and X are one number). Rows
    inserted by SQL get ``""`` from the database default and are found only after
    ``taizhang personal_data rotate``."""

    description = "Keyed hash of an encrypted field (ADR 0058)"

    def __init__(self, *args: Any, source: str = "", normalize: str = "strip", **kwargs: Any):
        self.source = source
        self.normalize = normalize
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("db_default", "")
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if self.normalize != "strip":
            kwargs["normalize"] = self.normalize
        return name, path, args, kwargs

    @property
    def purpose(self) -> str:
        return f"{self.model._meta.label_lower}.{self.source}"

    def compute(self, instance: models.Model) -> str:
        return blind_index(getattr(instance, self.source) or "", self.purpose, self.normalize)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = self.compute(model_instance)
        setattr(model_instance, self.attname, value)
        return value


def hash_field(model: type[models.Model], name: str) -> BlindIndexField:
    for field in model._meta.concrete_fields:
        if isinstance(field, BlindIndexField) and field.source == name:
            return field
    raise FieldError(f"{model._meta.label}.{name} has no keyed hash")


def equals(model: type[models.Model], name: str, values: str | Iterable[str]) -> Q:
    """A filter for rows whose ``name`` equals ``values`` (one or several), through its
    keyed hash: ``Person.objects.filter(equals(Person, "mobile", "13812345678"))``."""
    field = hash_field(model, name)
    if isinstance(values, str):
        values = [values]
    hashes = [h for v in values for h in blind_indexes(v, field.purpose, field.normalize)]
    return Q(**{f"{field.name}__in": hashes}) if hashes else Q(pk__in=[])


class EncryptedModel(models.Model):
    """Keeps the hashes in step on ``save(update_fields=[...])`` too."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            update_fields = set(update_fields)
            for field in self._meta.concrete_fields:
                if isinstance(field, BlindIndexField) and field.source in update_fields:
                    update_fields.add(field.name)
            kwargs["update_fields"] = update_fields
        super().save(*args, **kwargs)


# --- re-encryption (the data migration, key rotation) -----------------------------


def _update_statement(model: type[models.Model], fields: list[models.Field[Any, Any]]) -> Any:
    from django.db import connections

    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # noqa: S608 - quoted names
        f"WHERE {quote(model._meta.pk.column)} = %s"
    )
    return connection, sql


def reencrypt(model: type[models.Model], *, batch_size: int = 1000) -> int:
    """Rewrite every non-empty row of ``model`` under the current key and cipher, with
    its hashes: legacy plaintext rows are encrypted, tokens of older keys re-encrypted.
    Batches of ``batch_size`` by primary key (keyset, not an open cursor: the rows read
    are the rows written), so a million rows never load at once, each batch one
    ``executemany`` of an UPDATE by primary key in its own transaction (Django's
    ``bulk_update`` builds a CASE per column and row, several times slower); running it
    again is harmless. Works on a migration's historical model too. Returns the number
    of rows written."""
    encrypted = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedCharField)]
    hashes = [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]
    if not encrypted:
        return 0
    nonempty = Q()
    for field in encrypted:
        nonempty |= ~Q(**{field.name: ""})
    connection, sql = _update_statement(model, [*encrypted, *hashes])
    manager = model._base_manager
    written, last = 0, None
    while True:
        qs = manager.filter(nonempty).order_by("pk").only("pk", *(f.name for f in encrypted))
        if last is not None:
            qs = qs.filter(pk__gt=last)
        batch = list(qs[:batch_size])
        if not batch:
            return written
        params = [
            [
                *(f.get_db_prep_save(getattr(row, f.attname), connection) for f in encrypted),
                *(h.compute(row) for h in hashes),
                row.pk,
            ]
            for row in batch
        ]
        # One transaction per batch: a live site's writers wait for a batch, not the run.
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.executemany(sql, params)
        written += len(batch)
        last = batch[-1].pk


def decrypt_all(model: type[models.Model], *, batch_size: int = 1000) -> int:
    """Write every row of ``model`` back as plaintext (a migration's reverse only), with
    empty hashes. Batched like :func:`reencrypt`; returns the number of rows written."""
    encrypted = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedCharField)]
    hashes = [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]
    if not encrypted:
        return 0
    connection, sql = _update_statement(model, [*encrypted, *hashes])
    written, last = 0, None
    while True:
        qs = model._base_manager.order_by("pk").only("pk", *(f.name for f in encrypted))
        if last is not None:
            qs = qs.filter(pk__gt=last)
        batch = list(qs[:batch_size])
        if not batch:
            return written
        params = [
            [*(getattr(r, f.attname) for f in encrypted), *("" for _ in hashes), r.pk]
            for r in batch
        ]
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.executemany(sql, params)
        written += len(batch)
        last = batch[-1].pk


# --- system checks ----------------------------------------------------------------


@checks.register(checks.Tags.security)
def check_data_encryption(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    try:
        data_keys()
        algorithm = current_cipher()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="taizhang.E058")]
    if algorithm == SM4:
        from cryptography.hazmat.backends import default_backend
        from cryptography.hazmat.primitives.ciphers import algorithms, modes

        if not default_backend().cipher_supported(
            algorithms.SM4(b"\0" * 16), modes.GCM(b"\0" * NONCE_BYTES)
        ):
            errors.append(
                checks.Error(
                    "TAIZHANG_DATA_CIPHER=sm4 but this OpenSSL build has no SM4-GCM",
                    hint="Install cryptography linked to an OpenSSL with SM4, or use aes-gcm",
                    id="taizhang.E059",
                )
            )
    return errors
