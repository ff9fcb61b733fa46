"""Synthetic residents' identifiers for the demo register: names, ID numbers, phones, codes.

Pure and seeded (numpy Generator in, values out). Names are demo data, not UI strings. Surnames
are drawn by their approximate share of the population (2020 census order, Sichuan's 罗, 何,
邓 and 曾 a little higher); given names from character pools that differ by gender and by
generation (秀英 and 建国 for grandparents, 梓涵 and 浩宇 for grandchildren).
Surname and given name are drawn independently, so ~3,000 given names × 100 surnames keep
duplicate full names about as common as in a real street of 30,000.
"""

from datetime import date, timedelta

import numpy as np

from wangge.registry.identity import id_check_char

# (surname, share in per mille), most frequent first.
_SURNAME_TABLE = (
    "王71 李70 张67 刘54 陈46 杨31 黄22 赵21 吴20 周19 徐15 孙14 马13 朱12 胡12 郭11 何12 "
    "林10 罗11 高9 郑8 梁8 谢7 宋6 唐7 许6 韩5 冯5 邓7 曹5 彭6 曾6 肖5 田4 董4 袁4 潘4 于4 "
    "蒋4 蔡4 余5 杜4 叶4 程4 苏3 魏3 吕3 丁3 任3 沈3 姚3 卢3 姜3 崔3 钟3 谭3 陆3 汪3 范3 "
    "金3 石3 廖4 贾2 夏2 韦2 付2 方2 白2 邹2 孟2 熊2 秦2 邱2 江2 尹2 薛2 闫2 段2 雷2 侯2 "
    "龙2 史2 陶2 黎2 贺2 顾2 毛2 郝2 龚2 邵2 万2 钱2 严2 文2 税1 欧阳0.2 司马0.05 诸葛0.05"
)
SURNAMES: list[str] = []
_weights: list[float] = []
for _item in _SURNAME_TABLE.split():
    _name = "".join(ch for ch in _item if not (ch.isdigit() or ch == "."))
    SURNAMES.append(_name)
    _weights.append(float(_item[len(_name) :]))
SURNAME_P = np.array(_weights) / sum(_weights)

# Whole given names by gender and generation (born before 1965, 1965-1994, from 1995): common
# names of each cohort, so that grandparents, parents and children sound like themselves.
GIVEN = {
    ("male", 0): "建国 建华 国强 志明 德明 永刚 建军 国华 志强 文华 德华 金海 春生 福林 长青 国平 "
    "建平 卫东 红军 庆华 树林 德贵 光明 玉林 正华 世明 家福 兴旺 明 华 强 林 忠 福",
    ("male", 1): "伟 磊 强 涛 杰 勇 军 斌 超 鹏 俊杰 志强 文博 海涛 建伟 晓东 明辉 鹏飞 小龙 "
    "国庆 海峰 剑 波 毅 刚 浩 建 宏伟 志勇 云飞 晓明 德胜 春雷",
    ("male", 2): "浩宇 子轩 宇轩 浩然 梓轩 俊熙 子墨 睿 宇航 博文 一鸣 皓轩 明轩 梓豪 嘉豪 "
    "思远 天佑 铭 泽宇 煜 晨阳 俊宇 子豪 家乐 宇 峻熙 弘毅",
    ("female", 0): "秀英 桂英 秀兰 玉兰 桂兰 秀珍 淑珍 玉珍 凤英 桂芳 秀芳 丽华 素芳 翠花 玉梅 "
    "红梅 春梅 金凤 美华 淑华 玉英 桂珍 秀琴 素珍 英 兰 珍 芳",
    ("female", 1): "婷 静 丽 敏 芳 娜 艳 燕 霞 晓燕 丹丹 海燕 丽娟 红 丽萍 小红 雪梅 春燕 "
    "晓丽 玉洁 琳 慧 颖 倩 洁 晶 莉 娟",
    ("female", 2): "佳怡 欣怡 雨涵 梓涵 子涵 诗涵 梓萱 一诺 语桐 可馨 雨欣 思琪 欣妍 依诺 若汐 "
    "梦瑶 佳琪 雨桐 紫涵 诗琪 心怡 悦 萱 涵 妍 彤",
}
GIVEN_POOLS = {key: value.split() for key, value in GIVEN.items()}


def generation(birth_year: int) -> int:
    return 0 if birth_year < 1965 else (1 if birth_year < 1995 else 2)


ETHNICITIES = ("汉族", "彝族", "藏族", "回族", "羌族", "土家族", "苗族")
ETHNICITY_P = np.array([0.965, 0.012, 0.008, 0.005, 0.004, 0.003, 0.003])

# Where migrants come from (district codes) and their written names, for the registered address.
HOMETOWNS = (
    ("500101", "重庆市万州区"),
    ("500233", "重庆市忠县"),
    ("511602", "四川省广安市广安区"),
    ("511321", "四川省南充市南部县"),
    ("510921", "四川省遂宁市蓬溪县"),
    ("532101", "云南省昭通市昭阳区"),
    ("522401", "贵州省毕节市七星关区"),
    ("430102", "湖南省长沙市芙蓉区"),
    ("420106", "湖北省武汉市武昌区"),
    ("610102", "陕西省西安市新城区"),
    ("411302", "河南省南阳市宛城区"),
    ("341202", "安徽省阜阳市颍州区"),
    ("360102", "江西省南昌市东湖区"),
    ("620102", "甘肃省兰州市城关区"),
)
MOBILE_PREFIXES = ("139", "138", "135", "136", "137", "150", "151", "158", "186", "189", "177")
ROADS = [
    "东坡大道",
    "苏祠路",
    "湖滨路",
    "三苏大道",
    "诗书路",
    "岷江大道",
    "裕丰街",
    "文化路",
    "环湖路",
    "红星路",
    "杭州路",
    "眉州大道",
    "醴泉路",
    "泡菜城大道",
    "太和路",
    "远景路",
    "湖滨东路",
    "苏洵路",
    "东坡湖路",
    "蟆颐路",
]


def person_name(rng: np.random.Generator, gender: str, birth_year: int) -> str:
    surname = SURNAMES[int(rng.choice(len(SURNAMES), p=SURNAME_P))]
    pool = GIVEN_POOLS[(gender, generation(birth_year))]
    return surname + pool[int(rng.integers(len(pool)))]


def id_number(region: str, birth: date, gender: str, serial: int) -> str:
    """A GB 11643 number: region, birth date, a 3-digit sequence whose parity is the gender."""
    order = (serial % 500) * 2 + (1 if gender == "male" else 0)
    first17 = f"{region}{birth:%Y%m%d}{order:03d}"
    return first17 + id_check_char(first17)


def mobile(rng: np.random.Generator) -> str:
    prefix = MOBILE_PREFIXES[int(rng.integers(len(MOBILE_PREFIXES)))]
    return prefix + "".join(str(int(d)) for d in rng.integers(10, size=8))


def birth_date(rng: np.random.Generator, today: date, age: int) -> date:
    """A birthday that makes the person exactly `age` years old on `today`."""
    latest = (
        today.replace(year=today.year - age)
        if not (today.month == 2 and today.day == 29)
        else date(today.year - age, 2, 28)
    )
    return latest - timedelta(days=int(rng.integers(0, 365)))


def random_day(rng: np.random.Generator, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=int(rng.integers(0, (end - start).days + 1)))


# --- unified social credit codes (GB 32100), for the demo's organisations -------------------------

_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code(rng: np.random.Generator) -> str:
    """Nine characters: eight digits and the GB 11714 check character."""
    body = "".join(str(int(d)) for d in rng.integers(10, size=8))
    check = 11 - sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: np.random.Generator, region: str, *, registrar: str, kind: str) -> str:
    """An 18-character code: registrar (9 market, 5 civil affairs), kind, region, org code,
    check character (GB 32100)."""
    first17 = f"{registrar}{kind}{region}{organisation_code(rng)}"
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return first17 + _CREDIT_CHARS[(31 - total % 31) % 31]


def credit_code_valid(code: str) -> bool:
    if len(code) != 18 or any(c not in _CREDIT_CHARS for c in code):
        return False
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(code, _CREDIT_WEIGHTS, strict=False))
    return _CREDIT_CHARS[(31 - total % 31) % 31] == code[17]
