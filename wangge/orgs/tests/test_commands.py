import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from wangge.orgs.models import OrgUnit
from wangge.orgs.tests.factories import box, feature, make_street, synthetic_collection

pytestmark = pytest.mark.django_db


def write(tmp_path, data, name="orgs.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_import_prints_the_summary_and_a_second_run_changes_nothing(tmp_path, capsys):
    path = write(
        tmp_path, synthetic_collection(streets=1, communities_per_street=2, grids_per_community=3)
    )
    call_command("wangge_import_orgs", path)
    assert "created 11, updated 0, unchanged 0" in capsys.readouterr().out
    call_command("wangge_import_orgs", path)
    assert "created 0, updated 0, unchanged 11" in capsys.readouterr().out


def test_import_prints_every_error_and_writes_nothing(tmp_path, capsys, english):
    fc = synthetic_collection(streets=1, communities_per_street=1, grids_per_community=2)
    fc["features"].append(
        feature(
            "510104001001003", "越界", "grid", "510104001001", box(104.009, 30.50, 104.02, 30.505)
        )
    )
    fc["features"].append(feature("510104001009001", "孤儿", "grid", "510104001009"))
    with pytest.raises(CommandError) as caught:
        call_command("wangge_import_orgs", write(tmp_path, fc))
    assert "nothing was imported" in str(caught.value)
    err = capsys.readouterr().err
    assert "510104001001003\tgrid_outside_community" in err
    assert "510104001009001\tunknown_parent" in err
    assert OrgUnit.objects.count() == 0


def test_import_of_an_unreadable_file_fails(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("wangge_import_orgs", str(path))


def test_export_writes_the_import_format(tmp_path, capsys):
    street = make_street()
    out = tmp_path / "export.geojson"
    call_command("wangge_export_orgs", "--root", street.community_a.code, "-o", str(out))
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert [f["id"] for f in exported["features"]] == [
        street.community_a.code,
        street.grid_a1.code,
        street.grid_a2.code,
    ]
    assert exported["features"][1]["properties"]["parent_code"] == street.community_a.code
    call_command("wangge_export_orgs")
    assert len(json.loads(capsys.readouterr().out)["features"]) == 10


def test_check_coverage_exits_1_on_findings(capsys):
    street = make_street()
    call_command("wangge_check_coverage")
    assert "no gaps, no overlaps" in capsys.readouterr().out
    OrgUnit.objects.filter(pk=street.grid_a2.pk).update(boundary=box(104.01, 30.50, 104.02, 30.515))
    with pytest.raises(CommandError) as caught:
        call_command("wangge_check_coverage", "--community", street.community_a.code)
    assert caught.value.returncode == 1
    assert f"{street.community_a.code}\tgap\t" in capsys.readouterr().out
