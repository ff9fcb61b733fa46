"""The demo register's proportions and word lists, and the plan it is drawn into (RegisterPlan):
shared by the planner (register.py, register_households.py) and the writer (register_writer.py).
"""

from dataclasses import dataclass, field

import numpy as np

DEFAULT_HOUSEHOLDS = 10_000
DEDICATED_WEIGHT = 0.2  # a school's or hospital's grid houses few families (staff flats)
DEMO_GRID_WEIGHT = 36 + 2 * DEDICATED_WEIGHT  # the demo street: 36 grids and 2 dedicated ones
DWELLING_USE_P = {"owner_occupied": 0.795, "rented": 0.15, "vacant": 0.055}
COMMERCIAL_GROUND_FLOOR = 0.5
SIZE_P = np.array([0.15, 0.25, 0.27, 0.17, 0.10, 0.06])  # households of 1..6 members
MOVED_OUT_SHARE = 0.01
# Key populations: (tag, share of all persons). Who is drawn is weighted by age and gender below.
TAG_SHARES = {
    "disability": 0.02,
    "minimum_living_allowance": 0.015,
    "extreme_hardship": 0.002,
    "community_corrections": 0.0005,
    "released_prisoner": 0.001,
    "key_youth": 0.001,
    "veteran": 0.015,
}
PARTY_SHARE = 0.08
PROPERTY_COMPANIES = (
    "眉山东坡物业服务有限公司",
    "四川蓉华物业管理有限公司",
    "眉山市岷江物业有限责任公司",
    "碧桂园生活服务集团眉山分公司",
    "万科物业眉山分公司",
    "眉山苏祠物业服务有限公司",
)
COMPOUND_WORDS = [
    "幸福",
    "锦绣",
    "阳光",
    "翠湖",
    "滨江",
    "书香",
    "桂花",
    "东坡",
    "凤凰",
    "金色",
    "湖畔",
    "丽景",
    "御景",
    "天府",
    "诗书",
    "和园",
]
COMPOUND_SUFFIXES = ("小区", "花园", "家园", "苑", "华庭")
SHOP_KINDS = [
    "便利店",
    "超市",
    "火锅店",
    "面馆",
    "药房",
    "理发店",
    "水果店",
    "五金店",
    "茶馆",
    "早餐店",
    "烧烤店",
    "干洗店",
]
ENTERPRISE_WORDS = [
    "泡菜",
    "建材",
    "物流",
    "电子",
    "食品",
    "科技",
    "印务",
    "家具",
    "商贸",
    "餐饮管理",
]


@dataclass
class RegisterPlan:
    compounds: list[dict] = field(default_factory=list)
    buildings: list[dict] = field(default_factory=list)
    dwellings: list[dict] = field(default_factory=list)
    households: list[dict] = field(default_factory=list)
    persons: list[dict] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)
    organisations: list[dict] = field(default_factory=list)


# Rows per INSERT batch when the plan is written.
BATCH = 2_000
