"""Seed the built-in key-population tags (GB/T 31000 data modules)."""

from django.db import migrations

# (code, name in zh-Hans as shown by default, sensitive, derived, has_grade)
BUILTIN = [
    ("empty_nest_elder", "空巢老人", False, True, False),
    ("elder_living_alone", "独居老人", False, True, False),
    ("disability", "残疾人", True, False, True),
    ("minimum_living_allowance", "低保对象", True, False, False),
    ("extreme_hardship", "特困人员", True, False, False),
    ("migrant", "流动人口", False, True, False),
    ("rental_tenant", "出租房屋租户", False, True, False),
    ("community_corrections", "社区矫正对象", True, False, False),
    ("released_prisoner", "刑满释放人员", True, False, False),
    ("key_youth", "重点青少年", True, False, False),
    ("veteran", "退役军人", False, False, False),
]


def seed(apps, schema_editor):
    tag_model = apps.get_model("registry", "KeyPopulationTag")
    for order, (code, name, sensitive, derived, has_grade) in enumerate(BUILTIN):
        tag_model.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "sensitive": sensitive,
                "derived": derived,
                "builtin": True,
                "has_grade": has_grade,
                "sort_order": order * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
