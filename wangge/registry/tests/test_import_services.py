"""The import services and rules per kind, without pages."""

from datetime import date

import pytest

from wangge.core.crypto import decrypt, id_number_index
from wangge.core.models import AuditEvent
from wangge.orgs.actors import actor_for
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import staff_user
from wangge.registry.enums import ImportState
from wangge.registry.identity import ID_AAD, PHONE_AAD
from wangge.registry.importing.jobs import import_job_commit, import_job_create, job_errors
from wangge.registry.models import (
    Building,
    Dwelling,
    GridCount,
    Household,
    Organisation,
    Person,
    RecordChange,
)
from wangge.registry.tests.factories import valid_id_number

from .import_factories import (
    PERSON_HEADERS,
    community_register,
    community_staff,
    csv_bytes,
    import_storage,  # noqa: F401 (autouse fixture)
    person_row,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


def upload(actor, kind, headers, rows, name="file.xlsx"):
    content = xlsx_bytes(headers, rows) if name.endswith("xlsx") else csv_bytes(headers, rows)
    return import_job_create(actor=actor, kind=kind, file_name=name, content=content)


def errors_by_code(job):
    return {(e["row"], e["code"]) for e in job_errors(job)}


def test_persons_are_created_encrypted_in_their_households_grid(
    street, django_capture_on_commit_callbacks
):
    _building, _dwelling, household = community_register(street)
    actor = actor_for(community_staff(street))
    rows = [person_row("王芳"), person_row("李强", female=False, relationship="配偶")]
    job = upload(actor, "persons", PERSON_HEADERS, rows)
    assert job.state == ImportState.VALIDATED, job_errors(job)
    assert job.summary["created"] == 2
    assert Person.objects.count() == 0  # checking writes nothing
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_commit(actor=actor, job_id=job.pk)
    assert job.state == ImportState.DONE
    person = Person.objects.get(id_number_index=id_number_index(rows[0][1]))
    assert person.household == household
    assert person.grid == street.grid_a1 and person.path == street.grid_a1.path
    assert decrypt(bytes(person.id_number_encrypted or b""), aad=ID_AAD) == rows[0][1]
    assert decrypt(bytes(person.phone_encrypted or b""), aad=PHONE_AAD) == "13912345678"
    assert person.name_initials == "wf"
    # The rollups follow the commit: the grid card counts the two new persons.
    counts = dict(GridCount.objects.filter(grid=street.grid_a1).values_list("metric", "value"))
    assert counts.get("persons") == 2
    audit = AuditEvent.objects.get(action="registry.import")
    assert audit.detail["created"] == 2
    assert rows[0][1] not in str(audit.detail)


def test_reimport_changes_nothing_and_an_update_keeps_history(street):
    community_register(street)
    actor = actor_for(community_staff(street))
    rows = [person_row("王芳")]
    import_job_commit(actor=actor, job_id=upload(actor, "persons", PERSON_HEADERS, rows).pk)
    before = Person.objects.values_list("updated_at", "version").get()
    again = upload(actor, "persons", PERSON_HEADERS, rows)
    assert again.summary["unchanged"] == 1 and again.summary["updated"] == 0
    import_job_commit(actor=actor, job_id=again.pk)
    assert Person.objects.values_list("updated_at", "version").get() == before
    assert not RecordChange.objects.exists()

    rows[0][5] = "13700001111"
    rows[0][4] = "回族"
    changed = upload(actor, "persons", PERSON_HEADERS, rows)
    assert changed.summary["updated"] == 1
    import_job_commit(actor=actor, job_id=changed.pk)
    person = Person.objects.get()
    assert person.ethnicity == "回族" and person.version == 2
    assert decrypt(bytes(person.phone_encrypted or b""), aad=PHONE_AAD) == "13700001111"
    change = RecordChange.objects.get(object_id=person.pk, action="import")
    assert set(change.changes) == {"ethnicity", "phone"}
    assert change.changes["phone"] is None  # no encrypted value in the history
    assert "13700001111" not in str(change.changes)


def test_row_rules_name_row_column_and_code(street):
    community_register(street)
    actor = actor_for(community_staff(street))
    good = person_row("王芳")
    bad_checksum = person_row("赵六")
    bad_checksum[1] = bad_checksum[1][:-1] + ("0" if bad_checksum[1][-1] != "0" else "1")
    wrong_birth = person_row("钱七")
    wrong_birth[3] = "1990-01-01"
    wrong_gender = person_row("孙八")
    wrong_gender[2] = "男"
    bad_phone = person_row("周九", phone="12345")
    duplicate = list(good)
    unknown_household = person_row("吴十", household="NOPE")
    bad_enum = person_row("郑一")
    bad_enum[7] = "常住"
    missing = person_row("")
    rows = [
        good,
        bad_checksum,
        wrong_birth,
        wrong_gender,
        bad_phone,
        duplicate,
        unknown_household,
        bad_enum,
        missing,
    ]
    job = upload(actor, "persons", PERSON_HEADERS, rows, name="people.csv")
    assert job.state == ImportState.INVALID
    assert errors_by_code(job) == {
        (3, "invalid_id_number"),
        (4, "birth_date_mismatch"),
        (5, "gender_mismatch"),
        (6, "invalid_phone"),
        (7, "duplicate_in_file"),
        (8, "not_in_register"),
        (9, "invalid_choice"),
        (10, "required"),
    }
    columns = {e["row"]: e["column"] for e in job_errors(job)}
    assert columns[3] == "公民身份号码" and columns[6] == "联系电话" and columns[9] == "人口类型"
    with pytest.raises(Exception):  # noqa: B017 (an invalid job cannot be committed)
        import_job_commit(actor=actor, job_id=job.pk)
    assert Person.objects.count() == 0


def test_person_of_another_community_is_out_of_area(street):
    community_register(street)
    other = actor_for(staff_user("cs_b", Role.COMMUNITY_STAFF, street.community_b))
    job = upload(other, "persons", PERSON_HEADERS, [person_row("王芳")])
    assert errors_by_code(job) == {(2, "not_in_register")}


def test_buildings_take_their_grid_and_outside_points_are_errors(street):
    actor = actor_for(community_staff(street))
    headers = ["楼栋名称", "地址", "小区", "经度", "纬度", "层数", "单元数"]
    rows = [
        ["1栋", "东坡大道1号1栋", "幸福小区", 104.005, 30.51, 6, 2],
        ["2栋", "东坡大道1号2栋", "幸福小区", 104.015, 30.51, 18, 3],
        ["3栋", "湖滨路3号", "", 104.035, 30.51, 6, 1],  # community B: outside this area
        ["4栋", "东坡大道1号4栋", "", "abc", 30.51, 0, 1],
    ]
    job = upload(actor, "buildings", headers, rows)
    assert errors_by_code(job) == {(4, "outside_grids"), (5, "invalid_number"), (5, "out_of_range")}
    job = upload(actor, "buildings", headers, rows[:2])
    import_job_commit(actor=actor, job_id=job.pk)
    first, second = Building.objects.order_by("address")
    assert first.grid == street.grid_a1 and second.grid == street.grid_a2
    assert first.compound_id == second.compound_id is not None
    again = upload(actor, "buildings", headers, rows[:2])
    assert again.summary["unchanged"] == 2


def test_dwellings_households_and_organisations(street):
    building, _dwelling, _household = community_register(street)
    actor = actor_for(community_staff(street))
    address = building.address
    job = upload(
        actor,
        "dwellings",
        ["楼栋地址", "房号", "单元", "楼层", "用途", "面积"],
        [[address, "2-502", 2, 5, "出租", 90.5], ["无此楼", "1-101", 1, 1, "自住", 50]],
    )
    assert errors_by_code(job) == {(3, "not_in_register")}
    job = upload(
        actor,
        "dwellings",
        ["楼栋地址", "房号", "单元", "楼层", "用途", "面积"],
        [[address, "2-502", 2, 5, "出租", 90.5]],
    )
    import_job_commit(actor=actor, job_id=job.pk)
    dwelling = Dwelling.objects.get(number="2-502")
    assert dwelling.use == "rented" and dwelling.grid == street.grid_a1

    job = upload(
        actor,
        "households",
        ["户编号", "楼栋地址", "房号"],
        [["HH-NEW", address, "2-502"], ["HH-BAD", address, "9-999"]],
    )
    assert errors_by_code(job) == {(3, "dwelling_not_in_building")}
    job = upload(
        actor, "households", ["户编号", "楼栋地址", "房号"], [["HH-NEW", address, "2-502"]]
    )
    import_job_commit(actor=actor, job_id=job.pk)
    assert Household.objects.get(number="HH-NEW").dwelling == dwelling

    headers = [
        "名称",
        "类型",
        "统一社会信用代码",
        "联系人",
        "联系电话",
        "地址/楼栋",
        "经度",
        "纬度",
    ]
    rows = [
        ["幸福超市", "商铺", "91511402MA62X0XX0X", "李四", "13800138001", address, "", ""],
        ["湖滨公司", "企业", "", "", "", "", 104.005, 30.51],
        ["坏公司", "公司", "123", "", "1", "", "", ""],
    ]
    job = upload(actor, "organisations", headers, rows)
    assert {code for _row, code in errors_by_code(job)} >= {
        "invalid_choice",
        "invalid_credit_code",
        "invalid_phone",
    }
    job = upload(actor, "organisations", headers, rows[:2])
    import_job_commit(actor=actor, job_id=job.pk)
    shop = Organisation.objects.get(name="幸福超市")
    assert shop.building == building and shop.grid == street.grid_a1
    assert upload(actor, "organisations", headers, rows[:2]).summary["unchanged"] == 2


def test_household_created_by_the_persons_file(street):
    building, _dwelling, _household = community_register(street)
    actor = actor_for(community_staff(street))
    headers = [*PERSON_HEADERS, "楼栋地址", "房号"]
    rows = [
        [*person_row("王芳", household="HH-FILE"), building.address, "1-301"],
        [*person_row("王明", household="HH-FILE", female=False, relationship="子女"), "", ""],
    ]
    job = upload(actor, "persons", headers, rows)
    assert job.state == ImportState.VALIDATED, job_errors(job)
    import_job_commit(actor=actor, job_id=job.pk)
    household = Household.objects.get(number="HH-FILE")
    assert household.members.count() == 2 and household.grid == street.grid_a1


def test_failed_commit_rolls_everything_back(street):
    """The register changes between check and commit: the commit re-checks and writes nothing."""
    community_register(street)
    actor = actor_for(community_staff(street))
    rows = [person_row("王芳"), person_row("李强", female=False, household="HH-A1")]
    job = upload(actor, "persons", PERSON_HEADERS, rows)
    assert job.state == ImportState.VALIDATED
    Household.objects.filter(number="HH-A1").update(number="HH-GONE")
    job = import_job_commit(actor=actor, job_id=job.pk)
    assert job.state == ImportState.INVALID
    assert Person.objects.count() == 0
    assert not AuditEvent.objects.filter(action="registry.import").exists()


def test_birth_date_typed_as_date_cell_and_lowercase_x(street):
    community_register(street)
    actor = actor_for(community_staff(street))
    number = valid_id_number(date(1970, 1, 2))
    while not number.endswith("X"):
        number = valid_id_number(date(1970, 1, 2))
    row = person_row("王芳", id_number=number.lower(), birth=date(1970, 1, 2), female=False)
    row[2] = "女" if int(number[16]) % 2 == 0 else "男"
    job = upload(actor, "persons", PERSON_HEADERS, [row])
    assert job.state == ImportState.VALIDATED, job_errors(job)


def test_a_column_missing_from_the_file_leaves_its_field_alone(street):
    community_register(street)
    actor = actor_for(community_staff(street))
    rows = [person_row("王芳")]
    import_job_commit(actor=actor, job_id=upload(actor, "persons", PERSON_HEADERS, rows).pk)
    keep = [
        i for i, header in enumerate(PERSON_HEADERS) if header not in ("民族", "工作单位或学校")
    ]
    narrow = [[row[i] for i in keep] for row in rows]
    job = upload(actor, "persons", [PERSON_HEADERS[i] for i in keep], narrow)
    assert job.summary["unchanged"] == 1
    assert Person.objects.get().employer == "眉山市第一中学"
