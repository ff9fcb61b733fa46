"""The audit trail names a sensitive tag only to an auditor holding a grant for it."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation

from wangge.core.audit_selectors import audit_event_list
from wangge.core.models import AuditEvent
from wangge.core.tests.helpers import give_device, sign_in
from wangge.orgs.actors import actor_for
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import grid_worker, staff_user
from wangge.registry.models import KeyPopulationTag, TagGrant
from wangge.registry.services import person_tag_add

from .factories import make_building, make_dwelling, make_household, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def tagged(street):
    """A grid worker with the disability grant tags one person disability and veteran."""
    worker = grid_worker(street)
    TagGrant.objects.create(user=worker, tag=KeyPopulationTag.objects.get(code="disability"))
    household = make_household(make_dwelling(make_building(street.grid_a1)))
    person = make_person(household=household)
    actor = actor_for(worker)
    since = date(2026, 1, 5)
    person_tag_add(
        actor=actor, person_id=person.id, tag_code="disability", valid_from=since, grade=2
    )
    person_tag_add(actor=actor, person_id=person.id, tag_code="veteran", valid_from=since)
    return person


def tag_details(actor) -> list:
    with translation.override("en"):
        events = audit_event_list(actor=actor).events
    return sorted(e.detail["tag"] for e in events if e.action == "registry.person_tag_add")


def test_an_auditor_without_the_grant_reads_sensitive_tag(street, tagged):
    auditor = staff_user("aud", Role.AUDITOR, street.street)
    assert tag_details(actor_for(auditor)) == ["sensitive tag", "veteran"]
    # The stored rows are unchanged: the masking is for this reader only.
    stored = AuditEvent.objects.filter(action="registry.person_tag_add")
    assert sorted(e.detail["tag"] for e in stored) == ["disability", "veteran"]


def test_an_auditor_with_the_grant_reads_the_code(street, tagged):
    auditor = staff_user("aud", Role.AUDITOR, street.street)
    TagGrant.objects.create(user=auditor, tag=KeyPopulationTag.objects.get(code="disability"))
    assert tag_details(actor_for(auditor)) == ["disability", "veteran"]


def test_the_audit_page_masks_the_code(client, street, tagged):
    auditor = staff_user("aud", Role.AUDITOR, street.street)
    sign_in(client, auditor, device=give_device(auditor))
    page = client.get(
        reverse("audit"), {"action": "registry.person_tag_add"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert page.status_code == 200
    content = page.content.decode()
    assert "tag=veteran" in content
    assert "disability" not in content and "tag=sensitive tag" in content
