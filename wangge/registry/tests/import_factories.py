"""Helpers for the import tests: files in memory and a small register to import into."""

import csv
import io
from datetime import date

import pytest
import xlsxwriter

from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import staff_user
from wangge.registry.tests.factories import (
    make_building,
    make_dwelling,
    make_household,
    valid_id_number,
)

PERSON_HEADERS = [
    "姓名",
    "公民身份号码",
    "性别",
    "出生日期",
    "民族",
    "联系电话",
    "户籍地址",
    "人口类型",
    "是否党员",
    "工作单位或学校",
    "户编号",
    "与户主关系",
    "迁入日期",
]


def xlsx_bytes(headers: list, rows: list[list]) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, headers)
    for number, row in enumerate(rows, start=1):
        for position, value in enumerate(row):
            if isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(number, position, value)
            elif value is not None:
                sheet.write_string(number, position, str(value))
    workbook.close()
    return buffer.getvalue()


def csv_bytes(headers: list, rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def person_row(
    name: str = "王芳",
    *,
    household: str = "HH-A1",
    birth: date = date(1985, 6, 1),
    female: bool = True,
    id_number: str | None = None,
    phone: str = "13912345678",
    relationship: str = "户主",
) -> list:
    return [
        name,
        id_number or valid_id_number(birth, female=female),
        "女" if female else "男",
        birth.isoformat(),
        "汉族",
        phone,
        "四川省眉山市东坡区通惠街道8号",
        "户籍",
        "否",
        "眉山市第一中学",
        household,
        relationship,
        "2015-03-01",
    ]


def community_register(street):
    """A building, a dwelling and household HH-A1 in grid A1 (community A)."""
    building = make_building(street.grid_a1, name="3栋")
    dwelling = make_dwelling(building, "1-301")
    household = make_household(dwelling, "HH-A1")
    return building, dwelling, household


def community_staff(street, username: str = "cs_a"):
    return staff_user(username, Role.COMMUNITY_STAFF, street.community_a)


@pytest.fixture(autouse=True)
def import_storage(settings, tmp_path):
    """Uploaded files and error lists go to a temporary folder, not the repository's var/."""
    settings.VAR_DIR = tmp_path
