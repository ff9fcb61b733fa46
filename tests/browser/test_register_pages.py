"""The register in a real browser: a grid worker drills grid → building → household → person on
a phone and sees only masked identifiers; a worker of another community gets 404."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from wangge.core.models import AuditEvent
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import grid_worker, make_street, staff_user
from wangge.registry.identity import encrypted_identifiers
from wangge.registry.models import Person, RecordChange
from wangge.registry.tests.factories import make_household_with_members, tag_person

from .conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ID_NUMBER = "511402198005170011"
PHONE = "13912345678"
ADDRESS = "四川省眉山市东坡区通惠街道幸福路8号"


def test_grid_worker_drills_down_to_a_masked_profile(phone_page, phone_context):
    page = phone_page
    street = make_street()
    household = make_household_with_members(street.grid_a1)
    head = Person.objects.get(household=household, name="张伟")
    Person.objects.filter(pk=head.pk).update(
        ethnicity="汉族",
        party_member=True,
        employer="眉山市第一中学",
        move_in_date=timezone.localdate() - timedelta(days=3650),
        **encrypted_identifiers(id_number=ID_NUMBER, phone=PHONE, registered_address=ADDRESS),
    )
    tag_person(head, "veteran")
    tag_person(head, "community_corrections")  # sensitive: this worker has no grant
    worker = grid_worker(street)
    RecordChange.objects.create(
        object_type="person",
        object_id=head.id,
        changed_at=timezone.now() - timedelta(days=2),
        actor=worker,
        actor_username=worker.get_username(),
        action="update",
        changes={"phone": ["138****8000", "139****5678"]},
    )
    outsider = staff_user("gw_b1", Role.GRID_WORKER, street.grid_b1)

    sign_in(page, worker)
    # Home → the grid card's link into the register.
    page.locator(
        f'article.grid-card[data-code="{street.grid_a1.code}"] a[data-register-link]'
    ).click()
    expect(page.locator("h1")).to_contain_text(street.grid_a1.name)
    page.locator("html[data-register-map-ready=true]").wait_for()
    # Grid → building → household → person, by tapping.
    page.locator("ul.buildings a.tap-row").first.click()
    expect(page.locator("ul.dwellings")).to_contain_text("1-301")
    page.get_by_role("link", name=household.number).first.click()
    members = page.locator("ul.members")
    expect(members).to_contain_text("张伟")
    expect(members).to_contain_text("511402********0011")
    page.locator(f'li.member[data-person="{head.id}"] a.tap-row').click()

    expect(page.locator("h1")).to_contain_text("张伟")
    expect(page.locator('[data-field="id_number"]').first).to_have_text("511402********0011")
    expect(page.locator('[data-field="phone"]').first).to_have_text("139****5678")
    expect(page.locator('[data-field="registered_address"]')).to_have_text(ADDRESS[:6] + "…")
    expect(page.locator('[data-tag="veteran"]').first).to_be_visible()
    expect(page.locator('[data-tag="community_corrections"]')).to_have_count(0)
    body = page.locator("body").inner_text()
    for secret in (ID_NUMBER, PHONE, ADDRESS):
        assert secret not in body
    screenshot(page, "person-profile.png")
    profile_url = page.url
    assert (
        AuditEvent.objects.filter(
            action="registry.person.view", object_id=str(head.id), actor=worker
        ).count()
        == 1
    )

    # Another community's worker: the same URL is a plain 404 that names nobody.
    phone_context.clear_cookies()
    sign_in(page, outsider)
    response = page.goto(profile_url)
    assert response is not None and response.status == 404
    expect(page.locator("body")).not_to_contain_text("张伟")
