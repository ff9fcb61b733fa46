"""identity.name_keys, faster for a file of mostly different names.

pypinyin segments a name into phrases of its dictionary and reads each phrase; a name with no
dictionary phrase inside it (most names) reads character by character, each with its most
common reading. So for a name of Chinese characters in which no two or more consecutive
characters form a dictionary phrase, the keys are assembled from a per-character cache (a few
thousand characters cover any register); every other name goes to identity.name_keys itself.
The test suite checks both paths agree on random names.
"""

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT

from wangge.core.crypto import normalize_text
from wangge.registry.identity import name_keys, split_name

_NOT_LETTER = re.compile(r"[^a-z]")


@lru_cache(maxsize=32768)
def _syllable(char: str) -> str:
    readings = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return readings[0].lower() if len(readings) == 1 else ""


def _has_phrase(name: str) -> bool:
    size = len(name)
    return any(
        name[start:end] in PHRASES_DICT
        for start in range(size - 1)
        for end in range(start + 2, size + 1)
    )


@lru_cache(maxsize=262144)
def fast_name_keys(name: str) -> tuple[str, str, str]:
    name = normalize_text(name)
    if not name or len(name) > 8 or not all("\u4e00" <= ch <= "\u9fff" for ch in name):
        return name_keys(name)
    if _has_phrase(name):
        return name_keys(name)
    syllables = [_syllable(ch) for ch in name]
    if not all(syllables):
        return name_keys(name)
    _surname, given = split_name(name)
    pinyin = "".join(_NOT_LETTER.sub("", s) for s in syllables)
    initials = "".join(s[0] for s in syllables if s[0].isalpha())
    return given, pinyin[:128], initials[:32]
