"""Chinese names for the synthetic city: units, departments, institutions and staff.

Names are data for a demo, not translatable UI strings: a Meishan street has Chinese names in every
language. The pools are long enough for a benchmark city (300 communities, 30 streets) to keep
names unique inside each parent; past that, an ordinal keeps them unique.
"""

import numpy as np


def words(text: str) -> list[str]:
    """A pool written as space-separated words (one readable line instead of one per word)."""
    return text.split()


CITY = ("511400000000", "眉山市")

# Meishan's real county-level divisions first, so a small scaled city still reads true.
DISTRICTS = [
    ("511402", "东坡区"),
    ("511403", "彭山区"),
    ("511421", "仁寿县"),
    ("511423", "洪雅县"),
    ("511424", "丹棱县"),
    ("511425", "青神县"),
]

# The demo street keeps this name (the tests' factories use it too); others draw from the pool.
DEMO_STREET = "通惠街道"
STREET_WORDS = words(
    "大石桥 苏祠 白马 思蒙 修文 崇礼 富牛 太和 悦兴 尚义 多悦 秦家 象耳 三苏 松江 复盛 "
    "金花 广济 崇仁 永寿 万胜 土地 悦来 石桥 岷东 青衣 柳江 止戈 中山 东岳 九龙 盘鳌 "
    "高庙 汉阳 西龙 瑞峰 黑龙滩 视高 文林 谢家 凤鸣 观音 锦江 龙泉 江口 公义 保胜"
)

DEMO_COMMUNITIES = ["三苏社区", "湖滨社区", "苏祠社区", "岷江社区", "诗书社区"]
COMMUNITY_WORDS = words(
    "三苏 湖滨 苏祠 岷江 诗书 东坡 桂花 竹林 柳岸 东湖 南街 北门 文庙 玉屏 通惠 望江 "
    "远景 清风 明月 醴泉 连鳌 荷花 红星 幸福 和平 团结 新华 光明 复兴 锦绣 金鱼 碧水 "
    "青年 建设 东升 永丰 太平 长春 兴隆 安居 龙桥 滨江 书院 广场 鸿运 丽景 蟆颐 彭祖 "
    "寿乐 江湾 紫薇 银杏 梧桐 金桂 白鹤 春晓 秋实 云湖 泉水 石佛 古井 仙鹤 凤凰 盐井 "
    "牌坊 文星 翠屏 樱花 南湖 北湖 西城 东城 学府 花园 民主 胜利 前进 新民 顺江"
)

# Departments of a street office; codes are the street code + "D01", "D02", ... in this order.
DEPARTMENTS = [
    "城管执法中队",
    "市场监管所",
    "派出所",
    "住建办",
    "民政办",
    "综治中心",
    "社保所",
    "应急办",
    "司法所",
]

SCHOOLS = [
    "眉山市第一中学",
    "东坡区实验小学",
    "苏祠中学",
    "眉山育英实验学校",
    "东坡区第二小学",
    "眉山市职业技术学校",
    "岷江小学",
    "诗书路小学",
]
HOSPITALS = [
    "东坡区人民医院",
    "眉山市中医医院",
    "眉山市妇幼保健院",
    "东坡区第二人民医院",
    "眉山市精神卫生中心",
    "苏祠社区卫生服务中心",
]

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严"
)
GIVEN_CHARS = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国玉梅志红文斌宇浩凯秀兰婷鑫雪琳晨"
    "欣怡子涵梓轩博文思远佳慧俊杰雨欣嘉豪晓燕春梅海燕丹丹建华德明永刚继红小龙"
)

_CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五 (for grid ordinals up to 999)."""
    if not 0 < n < 1000:
        raise ValueError("cn_number covers 1..999")
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    text = ""
    if hundreds:
        text += _CN_DIGITS[hundreds] + "百"
        if rest and tens == 0:
            text += "零"
    if tens:
        text += ("" if tens == 1 and not hundreds else _CN_DIGITS[tens]) + "十"
    if ones:
        text += _CN_DIGITS[ones]
    return text


def pick_unique(rng: np.random.Generator, words: list[str], count: int, suffix: str) -> list[str]:
    """`count` distinct names `word + suffix`; ordinals extend a pool that is too short."""
    order = [words[i] for i in rng.permutation(len(words))]
    names = [word + suffix for word in order[:count]]
    round_no = 2
    while len(names) < count:
        names += [f"{word}{cn_number(round_no)}{suffix}" for word in order][: count - len(names)]
        round_no += 1
    return names


def district_names(count: int) -> list[tuple[str, str]]:
    """(six-digit prefix, name) for `count` districts: Meishan's own, then made-up ones."""
    found = list(DISTRICTS[:count])
    number = 31
    while len(found) < count:
        found.append((f"5114{number:02d}", f"新区{cn_number(len(found) + 1)}区"))
        number += 1
    return found


def grid_name(community_name: str, ordinal: int) -> str:
    return f"{community_name}第{cn_number(ordinal)}网格"


def dedicated_grid_name(institution: str) -> str:
    return f"{institution}专属网格"


def person_name(rng: np.random.Generator) -> str:
    surname = SURNAMES[int(rng.integers(len(SURNAMES)))]
    length = 1 if rng.random() < 0.3 else 2
    given = "".join(GIVEN_CHARS[int(i)] for i in rng.integers(len(GIVEN_CHARS), size=length))
    return surname + given


def mobile_number(rng: np.random.Generator) -> str:
    """A plausible mainland mobile number (the 139/138/135/186/189/177 blocks)."""
    prefix = ("139", "138", "135", "186", "189", "177", "158", "152")[int(rng.integers(8))]
    return prefix + "".join(str(int(d)) for d in rng.integers(10, size=8))
