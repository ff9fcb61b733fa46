"""The columns of each import kind: Chinese header, internal key, whether required, an example.

The header is what the template shows and what the error workbook and the preview name; the
reader also accepts the key itself and a few common variants (`aliases`), so a file exported
from another system with slightly different headers still maps.
"""

from dataclasses import dataclass

from wangge.registry.enums import ImportKind


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    example: object = ""
    aliases: tuple[str, ...] = ()


PERSON_COLUMNS = (
    Column("name", "姓名", True, "张三"),
    Column("id_number", "公民身份号码", True, "511402198005170016", ("身份证号", "身份证号码")),
    Column("gender", "性别", True, "男"),
    Column("birth_date", "出生日期", True, "1980-05-17"),
    Column("ethnicity", "民族", False, "汉族"),
    Column("phone", "联系电话", False, "13800138000", ("手机号码", "电话")),
    Column("registered_address", "户籍地址", False, "四川省眉山市东坡区通惠街道1号"),
    Column("residence_status", "人口类型", True, "户籍"),
    Column("party_member", "是否党员", False, "否", ("党员",)),
    Column("political_status", "政治面貌", False, ""),
    Column("employer", "工作单位或学校", False, "眉山市第一中学", ("工作单位", "学校")),
    Column("household_number", "户编号", True, "H0001"),
    Column("relationship", "与户主关系", True, "户主"),
    Column("move_in_date", "迁入日期", False, "2015-03-01"),
    # Optional: a household number the register does not know yet is created in this dwelling.
    Column("building_address", "楼栋地址", False, "东坡大道12号幸福小区3栋"),
    Column("dwelling_number", "房号", False, "1-301"),
)

BUILDING_COLUMNS = (
    Column("name", "楼栋名称", True, "3栋"),
    Column("address", "地址", True, "东坡大道12号幸福小区3栋"),
    Column("compound", "小区", False, "幸福小区"),
    Column("lng", "经度", True, 104.005),
    Column("lat", "纬度", True, 30.51),
    Column("floors", "层数", False, 6),
    Column("entrances", "单元数", False, 2),
)

DWELLING_COLUMNS = (
    Column("building_address", "楼栋地址", True, "东坡大道12号幸福小区3栋"),
    Column("number", "房号", True, "1-301"),
    Column("entrance", "单元", False, 1),
    Column("floor", "楼层", False, 3),
    Column("use", "用途", True, "自住"),
    Column("area_m2", "面积", False, 89.5, ("面积(平方米)", "建筑面积")),
)

HOUSEHOLD_COLUMNS = (
    Column("number", "户编号", True, "H0001"),
    Column("building_address", "楼栋地址", True, "东坡大道12号幸福小区3栋"),
    Column("dwelling_number", "房号", True, "1-301"),
)

ORGANISATION_COLUMNS = (
    Column("name", "名称", True, "眉山市幸福超市"),
    Column("kind", "类型", True, "商铺"),
    Column("credit_code", "统一社会信用代码", False, "91511402MA62X0XX0X"),
    Column("contact_name", "联系人", False, "李四"),
    Column("contact_phone", "联系电话", False, "13800138001"),
    Column("address", "地址/楼栋", False, "东坡大道12号幸福小区3栋", ("地址", "楼栋地址")),
    Column("lng", "经度", False, 104.005),
    Column("lat", "纬度", False, 30.51),
)

KIND_COLUMNS: dict[str, tuple[Column, ...]] = {
    ImportKind.PERSONS: PERSON_COLUMNS,
    ImportKind.HOUSEHOLDS: HOUSEHOLD_COLUMNS,
    ImportKind.DWELLINGS: DWELLING_COLUMNS,
    ImportKind.BUILDINGS: BUILDING_COLUMNS,
    ImportKind.ORGANISATIONS: ORGANISATION_COLUMNS,
}

# What the template's notes sheet lists as allowed values, per header.
ALLOWED_VALUES: dict[str, str] = {
    "性别": "男 / 女",
    "人口类型": "户籍 / 流动 / 人户分离 / 境外",
    "是否党员": "是 / 否",
    "政治面貌": "中共党员 / 中共预备党员 / 共青团员 / 群众 …",
    "与户主关系": "户主 / 配偶 / 子女 / 父母 / 孙子女 / 祖父母 / 兄弟姐妹 / 子女配偶 / 租户 / 其他",
    "用途": "自住 / 出租 / 空置 / 商用",
    "类型": "驻区单位 / 企业 / 商铺 / 社会组织 / 包保单位",
    "出生日期": "2024-01-31",
    "迁入日期": "2024-01-31",
}


def header_key(text: object, columns: tuple[Column, ...]) -> str | None:
    """The column key a header cell names ("姓名", "姓名*", "name"), or None."""
    label = str(text or "").strip().rstrip("*＊").strip()
    for column in columns:
        if label in (column.header, column.key, *column.aliases):
            return column.key
    return None
