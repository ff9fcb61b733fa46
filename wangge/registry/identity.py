"""Identifiers of a person: ID number rules (GB 11643), phone, name search keys, and the
encrypted columns with their blind indexes. Shared by the services, the importer, the search
and the demo, so that every path stores and finds a person the same way.
"""

import re
from datetime import date
from functools import lru_cache

from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from wangge.core.crypto import (
    DecryptionError,
    blind_index,
    decrypt,
    encrypt,
    id_number_index,
    is_mobile_phone,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    normalize_phone,
    normalize_text,
    phone_index,
)

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
ID_RE = re.compile(r"^\d{17}[\dX]$")
TAIL_LENGTH = 4

ID_AAD = "registry.person.id_number"
PHONE_AAD = "registry.person.phone"
ADDRESS_AAD = "registry.person.registered_address"
CONTACT_PHONE_AAD = "registry.organisation.contact_phone"

# Two-character surnames (复姓) that appear in practice; everything else takes one character.
_COMPOUND_SURNAMES_TEXT = (
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 端木 "
    "独孤 南宫 西门 闻人 呼延 澹台 公冶 宗政 濮阳 太叔 申屠 钟离 赫连 万俟"
)
COMPOUND_SURNAMES = frozenset(_COMPOUND_SURNAMES_TEXT.split(" "))


def id_check_char(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def id_number_problem(value: str) -> str | None:
    """Why an 18-character resident ID number is invalid, or None (GB 11643-1999)."""
    number = normalize_id_number(value)
    if not ID_RE.match(number):
        return _("an ID number has 17 digits and a final digit or X")
    if id_birth_date(number) is None:
        return _("the ID number holds no valid birth date (characters 7-14)")
    if id_check_char(number[:17]) != number[17]:
        return _("the ID number's check character is wrong (GB 11643)")
    return None


def id_birth_date(number: str) -> date | None:
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    return born if date(1880, 1, 1) <= born else None


def id_gender(number: str) -> str:
    """ "male" or "female", from the parity of the sequence code (character 17)."""
    return "male" if int(number[16]) % 2 else "female"


def phone_problem(value: str) -> str | None:
    """A mobile number (11 digits, 1[3-9]…) or a landline with area code (7-12 digits, 0…)."""
    digits = normalize_phone(value)
    if is_mobile_phone(digits):
        return None
    if re.fullmatch(r"0\d{9,11}", digits):
        return None
    return _("a phone number is an 11-digit mobile number or a landline with its area code")


def tail_index(value: str, *, purpose: str) -> str:
    """A short blind index of the last digits, for the "last 4 digits" search.

    Short on purpose: tails collide (about 1 in 10,000 people share one) and the search then
    decrypts the few candidates to compare, so the index reveals little on its own.
    """
    return blind_index(value[-TAIL_LENGTH:], purpose=f"{purpose}_tail")[:16]


def id_tail_index(id_number: str) -> str:
    return tail_index(normalize_id_number(id_number), purpose="id_number")


def phone_tail_index(phone: str) -> str:
    return tail_index(normalize_phone(phone), purpose="phone")


def split_name(name: str) -> tuple[str, str]:
    """(surname, given name) of a Chinese name; names in Latin letters keep no surname."""
    name = normalize_text(name)
    if not name or not ("\u4e00" <= name[0] <= "\u9fff"):
        return "", name
    if name[:2] in COMPOUND_SURNAMES and len(name) > 2:
        return name[:2], name[2:]
    return name[:1], name[1:]


@lru_cache(maxsize=65536)
def name_keys(name: str) -> tuple[str, str, str]:
    """(given name, full pinyin, initials) for search: 张三丰 → ("三丰", "zhangsanfeng", "zsf").

    Surnames with a special reading (单 shàn, 曾 zēng…) are read as surnames by pypinyin's
    phrase data where it knows them; a wrong guess only costs a search by that reading.
    """
    name = normalize_text(name)
    _surname, given = split_name(name)
    syllables = [s.lower() for s in lazy_pinyin(name, style=Style.NORMAL, errors="ignore")]
    pinyin = "".join(re.sub(r"[^a-z]", "", s) for s in syllables)
    initials = "".join(s[0] for s in syllables if s and s[0].isalpha())
    return given, pinyin[:128], initials[:32]


def encrypted_identifiers(
    *, id_number: str = "", phone: str = "", registered_address: str = ""
) -> dict:
    """The Person columns that hold ID number, phone and address: ciphertexts and indexes."""
    id_number = normalize_id_number(id_number) if id_number else ""
    phone = normalize_phone(phone) if phone else ""
    address = normalize_text(registered_address) if registered_address else ""
    return {
        "id_number_encrypted": encrypt(id_number, aad=ID_AAD) if id_number else None,
        "id_number_index": id_number_index(id_number) if id_number else None,
        "id_tail_index": id_tail_index(id_number) if id_number else "",
        "phone_encrypted": encrypt(phone, aad=PHONE_AAD) if phone else None,
        "phone_index": phone_index(phone) if phone else "",
        "phone_tail_index": phone_tail_index(phone) if phone else "",
        "registered_address_encrypted": (encrypt(address, aad=ADDRESS_AAD) if address else None),
    }


def _plain(blob, aad: str) -> str:
    return decrypt(bytes(blob), aad=aad) if blob else ""


ADDRESS_SHOWN = 6


def mask_address(text: str | None) -> str:
    """An address shows its first characters only (province, city): "四川省眉山市…"."""
    return f"{text[:ADDRESS_SHOWN]}…" if text else ""


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _masked(blob, aad: str, mask) -> str:
    # A value that no longer decrypts (a retired key) shows as absent rather than break a page.
    try:
        return mask(_plain(blob, aad))
    except DecryptionError:
        return ""


MASKED_COLUMNS = {
    "id_number": ("id_number_encrypted", ID_AAD, mask_id_number),
    "phone": ("phone_encrypted", PHONE_AAD, mask_phone),
    "registered_address": ("registered_address_encrypted", ADDRESS_AAD, mask_address),
}


def masked_identifiers(person, fields=tuple(MASKED_COLUMNS)) -> dict:
    """ID number, phone and registered address as every page and the API show them; `fields`
    limits it to what a list loaded (a deferred column would cost a query per row)."""
    return {
        field: _masked(getattr(person, MASKED_COLUMNS[field][0]), *MASKED_COLUMNS[field][1:])
        for field in fields
    }


def decrypted_identifiers(person) -> dict:
    """The plaintext ID number, phone and registered address of a person ("" where none).

    Only services and the masking layer call this; pages and the API never show the result
    unmasked except through the audited reveal.
    """
    return {
        "id_number": _plain(person.id_number_encrypted, ID_AAD),
        "phone": _plain(person.phone_encrypted, PHONE_AAD),
        "registered_address": _plain(person.registered_address_encrypted, ADDRESS_AAD),
    }
