"""Field encryption (AES-256-GCM, versioned keys) and HMAC blind indexes for personal data.

Keys never live in the database. They come from settings or the environment:

- WANGGE_FIELD_KEYS: JSON object {"1": "<base64 of 32 bytes>", "2": ...}; every version still
  needed to read old rows stays listed until a re-encryption pass has run.
- WANGGE_FIELD_KEY_VERSION: the version new values are written with (default: the highest).
- WANGGE_BLIND_INDEX_KEY: base64 of 32 bytes, the HMAC-SHA256 key of blind indexes. It cannot
  be rotated without rebuilding every index, so it is separate from the field keys.

For development and the demo, when none is configured, a key file is created once in
var/keys.json (mode 0600). Production refuses to start without configured keys (DEBUG off).

A ciphertext is: one version byte, a 12-byte nonce, then AES-GCM's ciphertext and tag. The
version byte and the caller's `aad` (e.g. "person.id_number") are authenticated, so a value
copied into another column or relabelled with another key version fails to decrypt.
"""

import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from .files import private_write

NONCE_BYTES = 12
KEY_BYTES = 32
KEY_SETTINGS = ("WANGGE_FIELD_KEYS", "WANGGE_FIELD_KEY_VERSION", "WANGGE_BLIND_INDEX_KEY")


class DecryptionError(ValueError):
    """The value is damaged, was written under another `aad`, or its key version is unknown."""


@dataclass(frozen=True)
class Keyring:
    field_keys: dict[int, bytes]
    version: int
    blind_index_key: bytes
    # Built once: a bulk import encrypts millions of values, and key set-up costs per object.
    ciphers: dict[int, AESGCM] = field(default_factory=dict)
    blind_hmac: "hmac.HMAC | None" = None


_lock = threading.Lock()
_keyring: Keyring | None = None


def _decode_key(value: str, name: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{name} is not valid base64") from exc
    if len(raw) != KEY_BYTES:
        raise ImproperlyConfigured(f"{name} must decode to {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def _configured(name: str):
    """A key setting from Django settings first, then the process environment."""
    value = getattr(settings, name, None)
    if value in (None, ""):
        value = os.environ.get(name) or None
    return value


def _dev_key_file() -> dict:
    """Read var/keys.json, creating it (0600, exclusively) the first time."""
    path = Path(settings.VAR_DIR) / "keys.json"
    if not path.exists():
        # Not narrowed to 0700: the proxy may serve var/static; the key file itself is 0600.
        path.parent.mkdir(parents=True, exist_ok=True)
        content = {
            "WANGGE_FIELD_KEYS": {"1": base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()},
            "WANGGE_FIELD_KEY_VERSION": 1,
            "WANGGE_BLIND_INDEX_KEY": base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode(),
        }
        # Another process may win the race; then read what it wrote.
        with contextlib.suppress(FileExistsError):
            private_write(path, json.dumps(content, indent=2), exclusive=True)
    return json.loads(path.read_text())


def _load_keyring() -> Keyring:
    keys = _configured("WANGGE_FIELD_KEYS")
    version = _configured("WANGGE_FIELD_KEY_VERSION")
    blind = _configured("WANGGE_BLIND_INDEX_KEY")
    if keys is None or blind is None:
        if not settings.DEBUG and not getattr(settings, "WANGGE_DEV_KEY_FILE", False):
            raise ImproperlyConfigured(
                "WANGGE_FIELD_KEYS and WANGGE_BLIND_INDEX_KEY must be set (see docs/security.md)"
            )
        stored = _dev_key_file()
        keys = keys if keys is not None else stored["WANGGE_FIELD_KEYS"]
        blind = blind if blind is not None else stored["WANGGE_BLIND_INDEX_KEY"]
        version = version if version is not None else stored.get("WANGGE_FIELD_KEY_VERSION")
    if isinstance(keys, str):
        try:
            keys = json.loads(keys)
        except ValueError as exc:
            raise ImproperlyConfigured("WANGGE_FIELD_KEYS is not a JSON object") from exc
    if not isinstance(keys, dict) or not keys:
        raise ImproperlyConfigured("WANGGE_FIELD_KEYS must map versions to keys")
    field_keys: dict[int, bytes] = {}
    for number, value in keys.items():
        as_int = int(number)
        if not 1 <= as_int <= 255:
            raise ImproperlyConfigured("key versions run from 1 to 255 (one byte)")
        field_keys[as_int] = _decode_key(value, f"WANGGE_FIELD_KEYS[{number}]")
    current = int(version) if version not in (None, "") else max(field_keys)
    if current not in field_keys:
        raise ImproperlyConfigured(f"WANGGE_FIELD_KEY_VERSION {current} has no key")
    blind_key = _decode_key(blind, "WANGGE_BLIND_INDEX_KEY")
    return Keyring(
        field_keys,
        current,
        blind_key,
        ciphers={number: AESGCM(key) for number, key in field_keys.items()},
        blind_hmac=hmac.new(blind_key, digestmod=hashlib.sha256),
    )


def keyring() -> Keyring:
    global _keyring
    if _keyring is None:
        with _lock:
            if _keyring is None:
                _keyring = _load_keyring()
    return _keyring


@receiver(setting_changed)
def _forget_keys(sender, setting, **kwargs) -> None:
    # Tests override the keys; the next call must see the new ones.
    global _keyring
    if setting in (*KEY_SETTINGS, "WANGGE_DEV_KEY_FILE", "VAR_DIR"):
        _keyring = None


def encrypt(text: str, *, aad: str = "") -> bytes:
    ring = keyring()
    header = bytes([ring.version])
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = ring.ciphers[ring.version].encrypt(
        nonce, text.encode("utf-8"), header + aad.encode("utf-8")
    )
    return header + nonce + sealed


def decrypt(blob: bytes | memoryview, *, aad: str = "") -> str:
    blob = bytes(blob)  # BinaryField may hand back a memoryview
    if len(blob) < 1 + NONCE_BYTES + 16:
        raise DecryptionError("ciphertext too short")
    version = blob[0]
    cipher = keyring().ciphers.get(version)
    if cipher is None:
        raise DecryptionError(f"unknown key version {version}")
    nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        plain = cipher.decrypt(nonce, sealed, blob[:1] + aad.encode("utf-8"))
    except InvalidTag as exc:
        raise DecryptionError("ciphertext does not authenticate") from exc
    return plain.decode("utf-8")


def key_version_of(blob: bytes) -> int:
    return bytes(blob[:1])[0]


def needs_reencryption(blob: bytes) -> bool:
    """True when the value was written under an older key version than the current one."""
    return key_version_of(blob) != keyring().version


def reencrypt(blob: bytes, *, aad: str = "") -> bytes:
    """The same value under the current key version (for a rotation pass)."""
    return encrypt(decrypt(blob, aad=aad), aad=aad)


_NON_DIGITS = re.compile(r"\D")
_SPACES = re.compile(r"\s")


def normalize_text(value: str) -> str:
    """Fold full-width characters and surrounding space, so that equal inputs index equally."""
    if value.isascii():
        # ASCII is already NFKC-normal; an import calls this millions of times.
        return value.strip()
    return unicodedata.normalize("NFKC", value).strip()


def normalize_phone(value: str) -> str:
    """Digits only, without a +86 / 0086 country prefix: "+86 138-1234-5678" → "13812345678"."""
    digits = _NON_DIGITS.sub("", normalize_text(value))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            return digits[len(prefix) :]
    return digits


def normalize_id_number(value: str) -> str:
    """Resident ID numbers end in a check character that may be "x" or "X"; store it upper case."""
    return _SPACES.sub("", normalize_text(value)).upper()


MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def is_mobile_phone(value: str) -> bool:
    return bool(MOBILE_RE.match(normalize_phone(value)))


def blind_index(value: str, *, purpose: str) -> str:
    """HMAC-SHA256 of the value, keyed and separated by purpose, as 64 hex characters.

    Exact-match lookup without storing the value: equal inputs give equal indexes, and the
    purpose keeps a phone's index from matching the same digits indexed as something else.
    Callers normalise first (phone_index does it for phones).
    """
    message = purpose.encode("utf-8") + b"\x00" + normalize_text(value).encode("utf-8")
    keyed = keyring().blind_hmac
    assert keyed is not None
    mac = keyed.copy()  # the keyed state is set up once; copy() is far cheaper than new()
    mac.update(message)
    return mac.hexdigest()


def phone_index(phone: str) -> str:
    return blind_index(normalize_phone(phone), purpose="phone")


def id_number_index(id_number: str) -> str:
    return blind_index(normalize_id_number(id_number), purpose="id_number")


def _mask_middle(value: str, keep_start: int, keep_end: int) -> str:
    if len(value) <= keep_start + keep_end:
        # Too short to show both ends and still hide anything: show at most the last quarter.
        tail = len(value) // 4
        return "*" * (len(value) - tail) + value[len(value) - tail :]
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_phone(phone: str | None) -> str:
    """ "13812345678" → "138****5678"."""
    if not phone:
        return ""
    return _mask_middle(normalize_phone(phone) or normalize_text(phone), 3, 4)


def mask_id_number(id_number: str | None) -> str:
    """ "110105199001011234" → "110105********1234" (region code and last four only)."""
    if not id_number:
        return ""
    return _mask_middle(normalize_id_number(id_number), 6, 4)
