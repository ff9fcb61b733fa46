"""The register's acceptance flow in a real browser (issue 3, "Done when", first bullet).

Community staff download the persons template, upload a file with 3 bad rows, see exactly those
3 errors, download the error workbook, upload the fixed file and commit; they find an imported
person by pinyin initials and open the masked profile. A grid worker of the other community
finds nothing: empty search, 404 page, 404 API. The auditor sees the profile view in the audit
trail, by record id and without personal data.
"""

import io
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import FilePayload, Page, expect
from python_calamine import CalamineWorkbook

from wangge.core.models import AuditEvent
from wangge.core.scope import Actor
from wangge.core.twofactor import totp_device_create
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import make_street, staff_user
from wangge.registry.enums import ImportState
from wangge.registry.models import ImportJob, Person
from wangge.registry.tests.factories import valid_id_number
from wangge.registry.tests.import_factories import (
    PERSON_HEADERS,
    community_register,
    community_staff,
    person_row,
    xlsx_bytes,
)

from .conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TARGET = "钱多多"  # pinyin initials "qdd": no other name in the file shares them
TARGET_BIRTH = date(1979, 4, 12)
TARGET_PHONE = "13955501234"
TARGET_ID = valid_id_number(TARGET_BIRTH, female=True)
# (index in the file's data rows, column, error code the preview must show for it)
BAD = {
    1: ("联系电话", "invalid_phone"),
    3: ("人口类型", "invalid_choice"),
    4: ("出生日期", "invalid_date"),
}


def good_rows() -> list[list]:
    return [
        person_row("王芳"),
        person_row("李强", female=False, relationship="配偶"),
        person_row("张敏", relationship="子女", birth=date(2010, 2, 3)),
        person_row("赵磊", female=False, relationship="父母", birth=date(1955, 9, 9)),
        person_row("孙丽", relationship="兄弟姐妹", birth=date(1988, 1, 20)),
        person_row(
            TARGET,
            relationship="其他",
            birth=TARGET_BIRTH,
            id_number=TARGET_ID,
            phone=TARGET_PHONE,
        ),
    ]


def bad_rows() -> list[list]:
    rows = good_rows()
    rows[1][5] = "999"  # 联系电话: not a mobile number
    rows[3][7] = "常住"  # 人口类型: not one of the allowed values
    rows[4][3] = "1990-13-01"  # 出生日期: no month 13
    return rows


def sheet_rows(path: Path) -> list[list]:
    content = path.read_bytes()
    assert content[:2] == b"PK", "not an xlsx (zip) file"
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def upload(page: Page, name: str, rows: list[list]) -> None:
    page.goto(reverse("registry_import"))
    form = page.locator("#upload form")
    form.locator("select[name=kind]").select_option("persons")
    payload: FilePayload = {
        "name": name,
        "mimeType": XLSX,
        "buffer": xlsx_bytes(PERSON_HEADERS, rows),
    }
    form.locator("input[name=file]").set_input_files(files=payload)
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/register/import/*/")


def import_with_errors_then_fixed(page: Page) -> None:
    page.goto(reverse("registry_import"))
    expect(page.locator("h1")).to_be_visible()

    # The persons template: an xlsx whose header row is in Chinese.
    with page.expect_download() as template_info:
        page.locator('#templates li[data-kind="persons"] a').click()
    template = template_info.value
    assert template.suggested_filename.endswith(".xlsx")
    header = [str(cell).rstrip("*") for cell in sheet_rows(Path(template.path()))[0]]
    for name in ("姓名", "公民身份号码", "联系电话", "人口类型", "户编号", "与户主关系"):
        assert name in header, header

    # A file with 3 bad rows among good ones: the preview lists exactly those 3.
    upload(page, "people.xlsx", bad_rows())
    status = page.locator("#import-status")
    expect(status).to_have_attribute("data-state", ImportState.INVALID)
    expect(page.locator('[data-count="errors"]')).to_have_text("3")
    error_rows = page.locator("#import-errors table.import-error-table tbody tr")
    expect(error_rows).to_have_count(3)
    shown = [
        (
            int(row.locator("td").nth(0).inner_text()),
            row.locator("td").nth(1).inner_text(),
            row.get_attribute("data-code"),
        )
        for row in error_rows.all()
    ]
    # Row numbers are the spreadsheet's: the header is row 1, data row i is row i + 2.
    assert shown == [(index + 2, column, code) for index, (column, code) in sorted(BAD.items())]
    for row in error_rows.all():  # each names its rule in words
        assert row.locator("td").nth(2).inner_text().strip()
    expect(page.locator('form[action$="/commit/"]')).to_have_count(0)
    screenshot(page, "register-import-preview.png")

    # The error workbook: the rows as uploaded, plus 错误 naming each row's problem.
    with page.expect_download() as errors_info:
        page.locator('#import-errors a[href$="/errors/"]').click()
    table = sheet_rows(Path(errors_info.value.path()))
    assert table[0][-1] == "错误"
    assert len(table) == 1 + len(bad_rows())
    for index, data_row in enumerate(table[1:]):
        problem = data_row[-1]
        if index in BAD:
            assert problem.startswith(BAD[index][0] + ":"), (index, problem)
        else:
            assert problem == "", (index, problem)
    assert Person.objects.count() == 0

    # The fixed file checks clean; committing writes every row, and the page says how many.
    upload(page, "people-fixed.xlsx", good_rows())
    expect(status).to_have_attribute("data-state", ImportState.VALIDATED)
    expect(page.locator('[data-count="created"]')).to_have_text(str(len(good_rows())))
    expect(page.locator('[data-count="errors"]')).to_have_text("0")
    page.locator('form[action$="/commit/"] button[type=submit]').click()
    expect(status).to_have_attribute("data-state", ImportState.DONE)
    expect(page.locator("#import-status .alert-success")).to_be_visible()
    expect(page.locator('[data-count="created"]')).to_have_text(str(len(good_rows())))
    assert Person.objects.count() == len(good_rows())
    assert ImportJob.objects.filter(state=ImportState.DONE).count() == 1


def search(page: Page, text: str) -> None:
    page.goto(reverse("registry_search"))
    box = page.locator("#search-q")
    # Typed key by key: htmx posts on keyup and swaps the results in, no submit.
    box.press_sequentially(text, delay=40)


def test_import_search_scope_and_audit(page, browser_context, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # uploads and error lists stay out of the repository's var/
    street = make_street()
    community_register(street)
    staff = community_staff(street)
    outsider = staff_user("gw_b1", Role.GRID_WORKER, street.grid_b1)
    auditor = staff_user("auditor_s", Role.AUDITOR, street.street)
    totp_device_create(actor=Actor.system(), user=auditor)

    # 1. Import, through the pages.
    sign_in(page, staff)
    import_with_errors_then_fixed(page)
    person = Person.objects.get(name=TARGET)

    # 2. Pinyin initials find the person as one types; the profile shows masked identifiers.
    search(page, "qdd")
    result = page.locator("#search-results li.search-result")
    expect(result).to_have_count(1)
    expect(result).to_contain_text(TARGET)
    assert page.url.endswith(reverse("registry_search"))  # nothing typed lands in the URL
    result.get_by_role("link", name=TARGET).click()
    page.wait_for_url(f"**{reverse('registry_person', args=[person.id])}")
    expect(page.locator("h1")).to_contain_text(TARGET)
    masked_id = TARGET_ID[:6] + "********" + TARGET_ID[-4:]
    expect(page.locator('[data-field="id_number"]').first).to_have_text(masked_id)
    expect(page.locator('[data-field="phone"]').first).to_have_text(
        TARGET_PHONE[:3] + "****" + TARGET_PHONE[-4:]
    )
    body = page.locator("body").inner_text()
    assert TARGET_ID not in body and TARGET_PHONE not in body
    profile_url = page.url

    # 3. A grid worker of the other community: nothing found, page 404, API 404.
    browser_context.clear_cookies()
    sign_in(page, outsider)
    search(page, "qdd")
    expect(page.locator("#search-results p.muted")).to_be_visible()
    expect(page.locator("#search-results li.search-result")).to_have_count(0)
    response = page.goto(profile_url)
    assert response is not None and response.status == 404
    expect(page.locator("body")).not_to_contain_text(TARGET)
    api = page.request.get(f"/api/v1/persons/{person.id}")
    assert api.status == 404, api.status
    assert TARGET not in api.text()
    denials = AuditEvent.objects.filter(
        action="access.denied", actor=outsider, object_id=str(person.id)
    )
    assert denials.count() == 2  # the page and the API refusal are both on the record

    # 4. The auditor filters the trail to profile views and sees the record id, no personal data.
    browser_context.clear_cookies()
    sign_in(page, auditor)
    page.goto(reverse("audit"))
    filters = page.locator("details.audit-filters")
    filters.locator("summary").click()
    filters.locator("input[name=action]").fill("registry.person.view")
    filters.locator("input[name=object_type]").fill("registry.person")
    filters.locator("button[type=submit]").click()
    page.wait_for_url("**/audit/?*")
    rows = page.locator("table.audit-table tbody tr")
    views = AuditEvent.objects.filter(action="registry.person.view", object_id=str(person.id))
    assert views.filter(actor=staff).count() == 1
    expect(rows).to_have_count(views.count())
    staff_row = rows.filter(has_text=staff.get_username())
    expect(staff_row).to_have_count(1)
    expect(staff_row).to_contain_text("registry.person.view")
    expect(staff_row).to_contain_text(f"registry.person #{person.id}")
    table = page.locator("table.audit-table").inner_text()
    for secret in (TARGET, TARGET_ID, TARGET_PHONE, masked_id):
        assert secret not in table, secret
