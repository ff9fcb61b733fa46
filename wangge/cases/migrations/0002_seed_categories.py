"""Seed the case category tree: the national city-management classes and social governance.

Codes follow the pattern of GB/T 30428.2 (two digits for a class, four for a sub-class: the
class code and a running number) without copying the standard's exact table, because components
and matters would then share codes: components are 01-05, matters 11-15, social governance 21-27.
Names are data and stay in Chinese. The attributes are Open311 service-definition attributes, so
the Open311 endpoint can serve them as they are stored.

The data lives here, not in an importable module, so that the migration stays frozen when the
catalogue changes later (a later change is a new migration). update_or_create by code makes a
re-run harmless.
"""

from django.db import migrations

COMPONENT, MATTER, SOCIAL = "component", "matter", "social"
GRID, COMMUNITY, STREET, DEPARTMENT = "grid", "community", "street", "department"


def _list(code, description, options, *, order, required=False, multi=False):
    return {
        "variable": True,
        "code": code,
        "datatype": "multivaluelist" if multi else "singlevaluelist",
        "required": required,
        "datatype_description": None,
        "order": order,
        "description": description,
        "values": [{"key": key, "name": name} for key, name in options],
    }


def _field(code, description, datatype, *, order, required=False, hint=None):
    return {
        "variable": True,
        "code": code,
        "datatype": datatype,
        "required": required,
        "datatype_description": hint,
        "order": order,
        "description": description,
        "values": [],
    }


STREETLIGHT_ATTRIBUTES = [
    _field("pole_number", "灯杆编号", "string", order=1, hint="灯杆上喷涂的编号，如 LD-0123"),
    _list(
        "fully_dark",
        "是否完全不亮",
        [("yes", "完全不亮"), ("flicker", "闪烁或昏暗"), ("daytime", "白天常亮")],
        order=2,
        required=True,
    ),
]
MANHOLE_ATTRIBUTES = [
    _list(
        "defect",
        "井盖问题",
        [("missing", "缺失"), ("broken", "破损"), ("displaced", "移位"), ("sunken", "下沉")],
        order=1,
        required=True,
    ),
    _list(
        "owner",
        "井盖标识",
        [("water", "供水"), ("sewage", "污水"), ("power", "电力"), ("telecom", "通信")],
        order=2,
    ),
]
AREA_ATTRIBUTE = _field("area_m2", "面积（平方米）", "number", order=1, hint="估算即可")
VENDOR_ATTRIBUTES = [
    _list(
        "vendor_type",
        "经营形式",
        [("mobile", "流动摊贩"), ("shopfront", "店外经营"), ("stall", "固定摊点")],
        order=1,
        required=True,
    )
]
TIME_ATTRIBUTE = _field("observed_at", "发生时间", "datetime", order=1)
HAZARD_ATTRIBUTES = [
    _list(
        "hazard_type",
        "隐患类型",
        [("gas", "燃气"), ("electric", "电气线路"), ("exit", "消防通道堵塞"), ("other", "其他")],
        order=1,
        required=True,
        multi=True,
    )
]
COMPOUND_ATTRIBUTE = _field("compound", "小区名称", "string", order=1)

# Class rows: (code, name, kind, handling level, default department).
CLASSES = [
    ("01", "市政公用设施", COMPONENT, DEPARTMENT, "住建"),
    ("02", "交通设施", COMPONENT, DEPARTMENT, "交通运输"),
    ("03", "市容环卫设施", COMPONENT, DEPARTMENT, "城管"),
    ("04", "园林绿化设施", COMPONENT, DEPARTMENT, "城管"),
    ("05", "其他设施", COMPONENT, STREET, "城管"),
    ("11", "市容环境", MATTER, COMMUNITY, "城管"),
    ("12", "宣传广告", MATTER, COMMUNITY, "城管"),
    ("13", "施工管理", MATTER, DEPARTMENT, "住建"),
    ("14", "街面秩序", MATTER, COMMUNITY, "城管"),
    ("15", "其他事项", MATTER, STREET, "城管"),
    ("21", "矛盾纠纷", SOCIAL, COMMUNITY, "司法"),
    ("22", "安全隐患", SOCIAL, STREET, "应急"),
    ("23", "治安", SOCIAL, DEPARTMENT, "公安"),
    ("24", "民生诉求", SOCIAL, COMMUNITY, "民政"),
    ("25", "政策咨询", SOCIAL, COMMUNITY, ""),
    ("26", "特殊人群帮扶", SOCIAL, COMMUNITY, "民政"),
    ("27", "物业管理", SOCIAL, COMMUNITY, "住建"),
]

# Sub-class rows: (code, name, level, department, accept h, dispatch h, handle days, options).
# Options: grid (a grid worker may resolve it on the spot), anon (anonymous reports allowed),
# attrs (Open311 attributes), radius/window (duplicate detection).
SUBCLASSES = [
    ("0101", "路灯", DEPARTMENT, "城管", 2, 2, 3, {"attrs": STREETLIGHT_ATTRIBUTES}),
    ("0102", "井盖", DEPARTMENT, "住建", 1, 1, 1, {"attrs": MANHOLE_ATTRIBUTES, "radius": 20}),
    ("0103", "消火栓", DEPARTMENT, "应急", 2, 2, 3, {"radius": 20}),
    ("0104", "供水设施", DEPARTMENT, "水务", 2, 2, 2, {}),
    ("0105", "雨水箅子", DEPARTMENT, "住建", 2, 4, 3, {"radius": 20}),
    ("0106", "电力通信线缆", DEPARTMENT, "住建", 2, 4, 5, {}),
    ("0201", "交通信号灯", DEPARTMENT, "公安", 1, 1, 1, {"radius": 30}),
    ("0202", "交通标志标线", DEPARTMENT, "交通运输", 4, 4, 10, {}),
    ("0203", "护栏隔离墩", DEPARTMENT, "交通运输", 4, 4, 5, {}),
    ("0204", "公交站亭", DEPARTMENT, "交通运输", 4, 4, 5, {}),
    ("0205", "道路破损", DEPARTMENT, "住建", 4, 4, 10, {"radius": 80}),
    ("0301", "垃圾箱", COMMUNITY, "城管", 4, 4, 2, {"grid": True}),
    ("0302", "公共厕所", DEPARTMENT, "城管", 4, 4, 3, {}),
    ("0303", "垃圾收集点", DEPARTMENT, "城管", 4, 4, 2, {}),
    ("0304", "果皮箱", COMMUNITY, "城管", 4, 4, 2, {"grid": True}),
    ("0401", "行道树", DEPARTMENT, "城管", 4, 4, 5, {}),
    ("0402", "绿地", DEPARTMENT, "城管", 4, 4, 5, {"radius": 100}),
    ("0403", "花坛绿篱", COMMUNITY, "城管", 4, 4, 5, {}),
    ("0501", "健身设施", STREET, "体育", 4, 4, 10, {}),
    ("0502", "监控设施", DEPARTMENT, "公安", 4, 4, 5, {}),
    ("0503", "其他公共设施", STREET, "城管", 4, 8, 10, {}),
    ("1101", "乱堆物料", GRID, "城管", 4, 4, 2, {"grid": True}),
    ("1102", "暴露垃圾", GRID, "城管", 4, 4, 1, {"grid": True}),
    ("1103", "道路不洁", COMMUNITY, "城管", 4, 4, 1, {"grid": True, "radius": 100}),
    ("1104", "私搭乱建", STREET, "城管", 8, 8, 15, {"attrs": [AREA_ATTRIBUTE]}),
    ("1105", "焚烧垃圾", COMMUNITY, "生态环境", 1, 1, 1, {"anon": True}),
    ("1106", "乱晾晒", GRID, "城管", 4, 4, 1, {"grid": True}),
    ("1201", "小广告", GRID, "城管", 4, 4, 2, {"grid": True, "attrs": [AREA_ATTRIBUTE]}),
    ("1202", "违规广告", COMMUNITY, "城管", 8, 8, 10, {"attrs": [AREA_ATTRIBUTE]}),
    ("1203", "占道广告牌", COMMUNITY, "城管", 4, 4, 5, {"grid": True}),
    ("1204", "条幅横幅", GRID, "城管", 4, 4, 2, {"grid": True}),
    ("1301", "施工扰民", DEPARTMENT, "住建", 2, 2, 3, {"anon": True, "attrs": [TIME_ATTRIBUTE]}),
    ("1302", "工地扬尘", DEPARTMENT, "生态环境", 2, 2, 3, {"anon": True, "radius": 200}),
    ("1303", "道路遗撒", DEPARTMENT, "城管", 2, 2, 1, {"radius": 200}),
    ("1304", "施工占道", DEPARTMENT, "住建", 4, 4, 5, {}),
    ("1401", "占道经营", COMMUNITY, "城管", 2, 2, 2, {"grid": True, "attrs": VENDOR_ATTRIBUTES}),
    ("1402", "机动车乱停放", DEPARTMENT, "公安", 2, 2, 1, {"window": 1}),
    ("1403", "非机动车乱停放", GRID, "城管", 4, 4, 1, {"grid": True, "window": 1}),
    ("1404", "流浪乞讨", STREET, "民政", 2, 2, 2, {"radius": 300}),
    ("1405", "噪音扰民", COMMUNITY, "生态环境", 2, 2, 3, {"anon": True}),
    ("1501", "其他城市管理事项", STREET, "城管", 4, 8, 10, {}),
    ("2101", "邻里纠纷", COMMUNITY, "司法", 4, 4, 10, {"grid": True, "radius": 30}),
    ("2102", "家庭婚姻纠纷", COMMUNITY, "司法", 4, 4, 15, {"radius": 10}),
    ("2103", "劳资纠纷", STREET, "人社", 4, 4, 15, {}),
    ("2104", "物业纠纷", COMMUNITY, "住建", 4, 4, 15, {}),
    ("2105", "土地房屋纠纷", STREET, "自然资源", 8, 8, 20, {}),
    ("2201", "消防安全隐患", STREET, "应急", 1, 1, 3, {"anon": True, "attrs": HAZARD_ATTRIBUTES}),
    (
        "2202",
        "燃气安全隐患",
        DEPARTMENT,
        "应急",
        1,
        1,
        1,
        {"anon": True, "attrs": HAZARD_ATTRIBUTES},
    ),
    ("2203", "房屋安全隐患", DEPARTMENT, "住建", 2, 2, 5, {"anon": True}),
    ("2204", "食品安全", DEPARTMENT, "市场监管", 2, 2, 5, {"anon": True}),
    ("2205", "危化品安全", DEPARTMENT, "应急", 1, 1, 2, {"anon": True, "radius": 200}),
    ("2301", "可疑人员线索", DEPARTMENT, "公安", 1, 1, 3, {"anon": True}),
    ("2302", "黄赌毒线索", DEPARTMENT, "公安", 1, 1, 5, {"anon": True}),
    ("2303", "电信诈骗", DEPARTMENT, "公安", 1, 1, 3, {"anon": True, "radius": 0}),
    ("2401", "供水供电供气", COMMUNITY, "住建", 2, 2, 3, {}),
    ("2402", "就业社保", COMMUNITY, "人社", 4, 4, 10, {"radius": 0}),
    ("2403", "医疗卫生", COMMUNITY, "卫健", 4, 4, 10, {"radius": 0}),
    ("2404", "教育入学", STREET, "教育", 4, 4, 10, {"radius": 0}),
    ("2501", "社会保障政策", COMMUNITY, "人社", 4, 4, 5, {"radius": 0}),
    ("2502", "户籍证照", COMMUNITY, "公安", 4, 4, 5, {"radius": 0}),
    ("2503", "其他政策咨询", COMMUNITY, "", 4, 4, 5, {"radius": 0}),
    ("2601", "困难群众救助", COMMUNITY, "民政", 4, 4, 10, {"radius": 0}),
    ("2602", "独居老人关爱", GRID, "民政", 4, 4, 5, {"grid": True, "radius": 0}),
    ("2603", "残疾人帮扶", COMMUNITY, "残联", 4, 4, 10, {"radius": 0}),
    ("2604", "未成年人关爱", COMMUNITY, "民政", 4, 4, 10, {"radius": 0}),
    ("2701", "电梯故障", DEPARTMENT, "市场监管", 1, 1, 2, {"attrs": [COMPOUND_ATTRIBUTE]}),
    ("2702", "小区环境卫生", COMMUNITY, "住建", 4, 4, 3, {"attrs": [COMPOUND_ATTRIBUTE]}),
    ("2703", "公共设施维修", COMMUNITY, "住建", 4, 4, 7, {"attrs": [COMPOUND_ATTRIBUTE]}),
    ("2704", "物业服务质量", COMMUNITY, "住建", 4, 4, 10, {"attrs": [COMPOUND_ATTRIBUTE]}),
]


def seed_categories(apps, schema_editor):
    CaseCategory = apps.get_model("cases", "CaseCategory")
    parents = {}
    for order, (code, name, kind, level, department) in enumerate(CLASSES, start=1):
        parents[code], _created = CaseCategory.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "parent": None,
                "kind": kind,
                "handling_level": level,
                "default_department": department,
                "sort_order": order * 100,
            },
        )
    for order, (code, name, level, department, accept, dispatch, days, options) in enumerate(
        SUBCLASSES, start=1
    ):
        parent = parents[code[:2]]
        CaseCategory.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "parent": parent,
                "kind": parent.kind,
                "handling_level": level,
                "default_department": department,
                "accept_hours": accept,
                "dispatch_hours": dispatch,
                "handle_days": days,
                "grid_may_resolve": options.get("grid", False),
                "anonymous_allowed": options.get("anon", False),
                "attributes": options.get("attrs", []),
                # 0 m: the matter is about a person, not a place, so place cannot tell duplicates.
                "duplicate_radius_m": options.get("radius", 50),
                "duplicate_window_days": options.get("window", 3),
                "sort_order": order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    # Reversing leaves the rows: cases point at them (PROTECT), and a later 0001 rollback drops
    # the table anyway.
    operations = [migrations.RunPython(seed_categories, migrations.RunPython.noop)]
