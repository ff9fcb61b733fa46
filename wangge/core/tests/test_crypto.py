import base64
import json
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from wangge.core import crypto
from wangge.core.crypto import (
    DecryptionError,
    blind_index,
    decrypt,
    encrypt,
    key_version_of,
    mask_id_number,
    mask_phone,
    needs_reencryption,
    normalize_phone,
    phone_index,
    reencrypt,
)

KEY_1 = "ZV1tZFEfhh3AhbL33g42nrNjLimd9bAZWmjJU6gqBIM="
KEY_2 = base64.b64encode(b"\x02" * 32).decode()

any_text = st.text(max_size=200)
digits = st.text(alphabet="0123456789", min_size=0, max_size=30)


def test_known_examples_from_the_design():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("110105199001011234") == "110105********1234"
    assert mask_id_number("11010519900101123x") == "110105********123X"
    assert mask_phone("+86 138-1234-5678") == "138****5678"
    assert mask_phone("") == mask_phone(None) == ""


@given(any_text, st.text(max_size=40))
def test_round_trip(text, aad):
    blob = encrypt(text, aad=aad)
    assert blob[0] == 1  # the version byte
    assert decrypt(blob, aad=aad) == text


@given(any_text)
def test_same_text_encrypts_differently_each_time(text):
    assert encrypt(text) != encrypt(text)


def test_wrong_aad_or_tampering_fails():
    blob = encrypt("13812345678", aad="core.user.phone")
    with pytest.raises(DecryptionError):
        decrypt(blob, aad="registry.person.id_number")
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    with pytest.raises(DecryptionError):
        decrypt(bytes(tampered), aad="core.user.phone")
    with pytest.raises(DecryptionError):
        decrypt(b"\x01short")
    assert decrypt(memoryview(blob), aad="core.user.phone") == "13812345678"


def test_key_version_rotation_round_trip(settings):
    old_blob = encrypt("110105199001011234", aad="id")
    assert key_version_of(old_blob) == 1
    settings.WANGGE_FIELD_KEYS = {"1": KEY_1, "2": KEY_2}
    settings.WANGGE_FIELD_KEY_VERSION = 2
    # Old values still read; new ones are written under version 2.
    assert decrypt(old_blob, aad="id") == "110105199001011234"
    assert needs_reencryption(old_blob)
    new_blob = reencrypt(old_blob, aad="id")
    assert key_version_of(new_blob) == 2
    assert not needs_reencryption(new_blob)
    assert decrypt(new_blob, aad="id") == "110105199001011234"
    # Once version 1 is retired, only re-encrypted values remain readable.
    settings.WANGGE_FIELD_KEYS = {"2": KEY_2}
    assert decrypt(new_blob, aad="id") == "110105199001011234"
    with pytest.raises(DecryptionError, match="unknown key version"):
        decrypt(old_blob, aad="id")


def test_version_byte_is_authenticated(settings):
    settings.WANGGE_FIELD_KEYS = {"1": KEY_1, "2": KEY_1}  # same key under two numbers
    settings.WANGGE_FIELD_KEY_VERSION = 1
    blob = encrypt("x")
    relabelled = bytes([2]) + blob[1:]
    with pytest.raises(DecryptionError):
        decrypt(relabelled)


def test_bad_key_configuration_is_refused(settings):
    settings.WANGGE_FIELD_KEYS = {"1": base64.b64encode(b"short").decode()}
    with pytest.raises(ImproperlyConfigured, match="32 bytes"):
        encrypt("x")
    settings.WANGGE_FIELD_KEYS = {"1": KEY_1}
    settings.WANGGE_FIELD_KEY_VERSION = 3
    with pytest.raises(ImproperlyConfigured, match="has no key"):
        encrypt("x")


def test_keys_as_json_string_from_settings(settings):
    settings.WANGGE_FIELD_KEYS = json.dumps({"1": KEY_1})
    assert decrypt(encrypt("a")) == "a"


def test_dev_key_file_is_created_once_with_mode_0600(settings, tmp_path):
    settings.WANGGE_FIELD_KEYS = None
    settings.WANGGE_BLIND_INDEX_KEY = None
    settings.WANGGE_FIELD_KEY_VERSION = None
    settings.VAR_DIR = tmp_path
    settings.DEBUG = True
    blob = encrypt("hello")
    index = blind_index("hello", purpose="t")
    path = tmp_path / "keys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_text()
    crypto._keyring = None  # a new process reads the same file
    assert decrypt(blob) == "hello"
    assert blind_index("hello", purpose="t") == index
    assert path.read_text() == content


def test_missing_keys_refused_outside_debug(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("WANGGE_FIELD_KEYS", raising=False)
    monkeypatch.delenv("WANGGE_BLIND_INDEX_KEY", raising=False)
    settings.WANGGE_FIELD_KEYS = None
    settings.WANGGE_BLIND_INDEX_KEY = None
    settings.VAR_DIR = tmp_path
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured):
        encrypt("x")
    assert not (tmp_path / "keys.json").exists()


def test_blind_index_is_stable_keyed_and_purpose_separated(settings):
    first = blind_index("13812345678", purpose="phone")
    assert first == blind_index("13812345678", purpose="phone")
    assert len(first) == 64 and int(first, 16) >= 0
    assert first != blind_index("13812345678", purpose="id_number")
    settings.WANGGE_BLIND_INDEX_KEY = KEY_2
    assert first != blind_index("13812345678", purpose="phone")


def test_phone_index_normalises_first():
    expected = phone_index("13812345678")
    for spelling in (
        "138 1234 5678",
        "+86 138-1234-5678",
        "008613812345678",
        "１３８１２３４５６７８",
    ):
        assert phone_index(spelling) == expected
    assert phone_index("13812345679") != expected


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_mask_phone_mobile_numbers(phone):
    masked = mask_phone(phone)
    assert masked == phone[:3] + "****" + phone[-4:]
    assert normalize_phone("+86" + phone) == phone


@given(digits)
def test_mask_phone_never_shows_more_than_seven_characters(value):
    # The number is masked as stored: a +86 / 0086 country prefix is dropped first.
    phone = normalize_phone(value)
    masked = mask_phone(value)
    assert len(masked) == len(phone)
    assert sum(char != "*" for char in masked) <= 7
    if len(phone) > 7:
        assert masked[:3] == phone[:3] and masked[-4:] == phone[-4:]
        assert set(masked[3:-4]) == {"*"}


@given(st.from_regex(r"[0-9]{17}[0-9X]", fullmatch=True))
def test_mask_id_number_18_digits(id_number):
    masked = mask_id_number(id_number)
    assert masked == id_number[:6] + "*" * 8 + id_number[-4:]


@given(st.text(alphabet="0123456789Xx", max_size=30))
def test_mask_id_number_hides_the_middle_of_anything(value):
    masked = mask_id_number(value)
    assert len(masked) == len(value)
    assert sum(char != "*" for char in masked) <= 10
    if len(value) > 10:
        assert set(masked[6:-4]) == {"*"}
