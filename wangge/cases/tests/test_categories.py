"""The seeded category tree (migration 0002): classes, sub-classes, deadlines, attributes."""

import importlib
import json

import pytest
from django.apps import apps as django_apps
from jsonschema import Draft4Validator

from wangge.cases.enums import CategoryKind, HandlingLevel
from wangge.cases.models import CaseCategory
from wangge.cases.tests.open311_schemas import schemas_dir

pytestmark = pytest.mark.django_db


COMPONENT_CLASSES = {"市政公用设施", "交通设施", "市容环卫设施", "园林绿化设施", "其他设施"}
MATTER_CLASSES = {"市容环境", "宣传广告", "施工管理", "街面秩序", "其他事项"}
SOCIAL_CLASSES = {
    "矛盾纠纷",
    "安全隐患",
    "治安",
    "民生诉求",
    "政策咨询",
    "特殊人群帮扶",
    "物业管理",
}


def classes(kind: str) -> set[str]:
    return set(CaseCategory.objects.filter(parent=None, kind=kind).values_list("name", flat=True))


def parent_name(name: str) -> str:
    parent = CaseCategory.objects.get(name=name).parent
    assert parent is not None
    return parent.name


def leaves():
    return CaseCategory.objects.filter(children=None)


def test_every_class_of_the_issue_is_seeded():
    assert classes(CategoryKind.COMPONENT) == COMPONENT_CLASSES
    assert classes(CategoryKind.MATTER) == MATTER_CLASSES
    assert classes(CategoryKind.SOCIAL) == SOCIAL_CLASSES


def test_every_class_has_several_sub_classes_of_its_own_kind():
    for parent in CaseCategory.objects.filter(parent=None):
        children = list(parent.children.all())
        assert children, parent.name
        if parent.name != "其他事项":
            assert len(children) >= 2, parent.name
        for child in children:
            assert child.kind == parent.kind
            assert child.code.startswith(parent.code) and len(child.code) == 4
            assert not child.children.exists()  # two levels: class and sub-class


def test_codes_are_unique_and_two_or_four_digits():
    codes = list(CaseCategory.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes))
    assert all(code.isdigit() and len(code) in (2, 4) for code in codes)


def test_every_leaf_has_deadlines_and_a_valid_handling_level():
    levels = set(HandlingLevel.values)
    for leaf in leaves():
        assert leaf.accept_hours > 0 and leaf.dispatch_hours > 0 and leaf.handle_days > 0, leaf
        assert leaf.handling_level in levels
        assert leaf.is_active


def test_examples_from_the_issue():
    light = CaseCategory.objects.get(name="路灯")
    assert parent_name("路灯") == "市政公用设施"
    assert {a["code"] for a in light.attributes} == {"pole_number", "fully_dark"}
    assert parent_name("井盖") == "市政公用设施"
    vending = CaseCategory.objects.get(name="占道经营")
    assert parent_name("占道经营") == "街面秩序" and vending.grid_may_resolve
    assert CaseCategory.objects.get(name="乱堆物料").grid_may_resolve
    assert CaseCategory.objects.get(name="小广告").grid_may_resolve
    assert parent_name("违规广告") == "宣传广告"
    assert CaseCategory.objects.get(name="消防安全隐患").anonymous_allowed
    assert CaseCategory.objects.get(name="可疑人员线索").default_department == "公安"
    # Big matters are not for a grid worker to settle alone.
    assert not CaseCategory.objects.get(name="私搭乱建").grid_may_resolve
    assert not light.anonymous_allowed


def test_attributes_are_valid_open311_service_definitions():
    schema = json.loads((schemas_dir() / "service-definition.json").read_text())
    validator = Draft4Validator(schema)
    with_attributes = 0
    for category in CaseCategory.objects.all():
        definition = {"service_code": category.code, "attributes": category.attributes}
        errors = [e.message for e in validator.iter_errors(definition)]
        assert errors == [], (category.code, errors)
        codes = [a["code"] for a in category.attributes]
        assert len(codes) == len(set(codes))
        for attribute in category.attributes:
            is_list = attribute["datatype"] in ("singlevaluelist", "multivaluelist")
            assert bool(attribute["values"]) == is_list, (category.code, attribute["code"])
        with_attributes += bool(category.attributes)
    assert with_attributes >= 5


def test_the_schema_check_can_fail():
    schema = json.loads((schemas_dir() / "service-definition.json").read_text())
    broken = {"service_code": "0101", "attributes": [{"code": "x", "datatype": "colour"}]}
    assert not Draft4Validator(schema).is_valid(broken)


def test_seeding_again_changes_nothing_and_keeps_admin_rows():
    migration = importlib.import_module("wangge.cases.migrations.0002_seed_categories")
    CaseCategory.objects.create(code="9901", name="本街道自定义", kind=CategoryKind.MATTER)
    before = {c.code: (c.pk, c.name, c.handle_days) for c in CaseCategory.objects.all()}
    migration.seed_categories(django_apps, None)
    after = {c.code: (c.pk, c.name, c.handle_days) for c in CaseCategory.objects.all()}
    assert after == before
