"""An ID number registered out of the actor's sight: one neutral answer that names no place,
audited without the number, and limited per user (person create and update, import, API)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from wangge.core.errors import RateLimited, ValidationFailed
from wangge.core.models import AuditEvent, AuditResult
from wangge.orgs.actors import actor_for
from wangge.orgs.tests.factories import grid_worker
from wangge.registry.id_probes import TransferRequired
from wangge.registry.identity import decrypted_identifiers
from wangge.registry.importing.jobs import import_job_create, job_errors
from wangge.registry.models import Person, RecordChange
from wangge.registry.services import person_create, person_update

from .factories import make_building, make_dwelling, make_household, make_person, valid_id_number
from .import_factories import (
    PERSON_HEADERS,
    community_register,
    community_staff,
    import_storage,  # noqa: F401 (autouse fixture)
    person_row,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def household_in(grid):
    return make_household(make_dwelling(make_building(grid)))


def snapshot():
    return (
        list(Person.objects.order_by("id").values_list("id", "name", "path", "version")),
        RecordChange.objects.count(),
    )


def _number_of(person) -> str:
    return decrypted_identifiers(person)["id_number"]


def probes():
    return list(AuditEvent.objects.filter(action="registry.id_number_probe").order_by("pk"))


def refused(actor, number, household) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        person_create(
            actor=actor, data={"name": "新人", "id_number": number}, household_id=household.id
        )
    return caught.value


def test_elsewhere_and_an_unseen_household_get_the_same_answer(street, english):
    worker = actor_for(grid_worker(street))  # grid A1 only
    other_community = make_person("甲", household=household_in(street.grid_b1))
    same_community = make_person("乙", household=household_in(street.grid_a2))
    here = household_in(street.grid_a1)
    before = snapshot()
    first, second = (
        refused(worker, _number_of(person), here) for person in (other_community, same_community)
    )
    assert isinstance(first, TransferRequired) and isinstance(second, TransferRequired)
    assert (first.code, first.field, str(first.message)) == (
        second.code,
        second.field,
        str(second.message),
    )
    assert first.code == "transfer_required" and first.field == "id_number"
    message = str(first.message)
    for place in (street.grid_b1, street.grid_a2, street.community_b):
        assert place.name not in message and place.code not in message
    assert snapshot() == before  # nothing written
    rows = probes()
    assert len(rows) == 2
    assert {(r.result, r.detail["source"], r.detail["count"]) for r in rows} == {
        (AuditResult.FAILED, "person_create", 1)
    }
    for row in rows:  # who tried is recorded; the ID number and its index are not
        assert row.actor == worker.user
        for person in (other_community, same_community):
            assert _number_of(person) not in repr(row.detail)
            assert str(person.id_number_index) not in repr(row.detail)
            assert str(person.path) not in repr(row.detail) + row.org_path


def test_a_duplicate_the_actor_can_see_is_named_so_and_is_no_probe(street):
    worker = actor_for(grid_worker(street))
    here = household_in(street.grid_a1)
    person = make_person("丙", household=here)
    caught = refused(worker, _number_of(person), here)
    assert caught.code == "duplicate" and not isinstance(caught, TransferRequired)
    assert probes() == []


def test_changing_an_id_number_to_one_registered_elsewhere_is_a_probe(street):
    worker = actor_for(grid_worker(street))
    mine = make_person("丁", household=household_in(street.grid_a1))
    elsewhere = make_person("戊", household=household_in(street.grid_b1))
    before = snapshot()
    with pytest.raises(TransferRequired):
        person_update(
            actor=worker,
            person_id=mine.id,
            version=mine.version,
            data={"id_number": _number_of(elsewhere)},
        )
    assert snapshot() == before
    assert [r.detail["source"] for r in probes()] == ["person_update"]


def test_the_answer_is_limited_per_user_and_the_limit_ends(street, settings):
    settings.WANGGE_ID_PROBE_RATE = "2/h"
    worker = actor_for(grid_worker(street))
    colleague = actor_for(grid_worker(street, "gw_a1_second"))
    here = household_in(street.grid_a1)
    elsewhere = [make_person(f"外{n}", household=household_in(street.grid_b1)) for n in range(3)]
    with time_machine.travel(START, tick=False) as clock:
        for person in elsewhere[:2]:
            assert isinstance(refused(worker, _number_of(person), here), TransferRequired)
        before = snapshot()
        # Used up: even a number nobody holds is refused now, so the refusal tells nothing.
        with pytest.raises(RateLimited) as caught:
            person_create(
                actor=worker,
                data={"name": "新人", "id_number": valid_id_number()},
                household_id=here.id,
            )
        assert (caught.value.status, caught.value.code, caught.value.field) == (
            429,
            "rate_limited",
            "id_number",
        )
        assert "2/h" in str(caught.value.message)  # the message names the rule
        assert snapshot() == before
        assert probes()[-1].detail == {
            "source": "person_create",
            "count": 0,
            "refused": "rate_limited",
        }
        assert probes()[-1].result == AuditResult.DENIED
        # Another user has an allowance of their own.
        assert isinstance(refused(colleague, _number_of(elsewhere[2]), here), TransferRequired)
        clock.shift(timedelta(hours=1, minutes=1))
        assert isinstance(refused(worker, _number_of(elsewhere[2]), here), TransferRequired)


def test_the_api_answers_422_then_429(client, street, settings):
    settings.WANGGE_ID_PROBE_RATE = "1/h"
    user = grid_worker(street)
    client.force_login(user)
    here = household_in(street.grid_a1)
    elsewhere = make_person("己", household=household_in(street.grid_b1))
    body = {"name": "新人", "id_number": _number_of(elsewhere), "household_id": here.id}
    with time_machine.travel(START, tick=False):
        first = client.post("/api/v1/persons", body, content_type="application/json")
        assert first.status_code == 422
        assert {k: first.json()[k] for k in ("code", "field")} == {
            "code": "transfer_required",
            "field": "id_number",
        }
        second = client.post("/api/v1/persons", body, content_type="application/json")
        assert second.status_code == 429 and second.json()["code"] == "rate_limited"
    assert not Person.objects.filter(household=here).exists()


def test_the_page_offers_a_transfer_request(client, street, english):
    user = grid_worker(street)
    client.force_login(user)
    here = household_in(street.grid_a1)
    elsewhere = make_person("庚", household=household_in(street.grid_b1))
    page = client.post(
        reverse("registry_household_person_add", args=[here.id]),
        {"name": "新人", "id_number": _number_of(elsewhere), "relationship": "spouse"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 422
    content = page.content.decode()
    assert "cannot be registered here" in content
    assert reverse("registry_transfer_request") in content
    assert street.grid_b1.name not in content and street.community_b.name not in content


def elsewhere_row(name: str, person) -> list:
    """A file row for the person registered elsewhere (make_person: born 1980-05-17, male)."""
    return person_row(name, id_number=_number_of(person), birth=person.birth_date, female=False)


def test_an_import_row_gets_the_same_answer_and_the_check_stops_at_the_limit(
    street, settings, english
):
    settings.WANGGE_ID_PROBE_RATE = "2/h"
    community_register(street)  # household HH-A1 in grid A1
    actor = actor_for(community_staff(street))
    elsewhere = [make_person(f"辛{n}", household=household_in(street.grid_b1)) for n in range(3)]
    rows = [elsewhere_row("甲", elsewhere[0]), person_row("乙")]
    with time_machine.travel(START, tick=False):
        job = import_job_create(
            actor=actor,
            kind="persons",
            file_name="persons.xlsx",
            content=xlsx_bytes(PERSON_HEADERS, rows),
        )
        errors = job_errors(job)
        assert [(e["row"], e["code"]) for e in errors] == [(2, "transfer_required")]
        assert "cannot be registered here" in errors[0]["message"]
        assert [(r.detail["source"], r.detail["count"]) for r in probes()] == [("import", 1)]
        # A file with two more: the second one meets the limit, and the check stops there.
        rows = [elsewhere_row("丙", p) for p in elsewhere[1:]]
        job = import_job_create(
            actor=actor,
            kind="persons",
            file_name="more.xlsx",
            content=xlsx_bytes(PERSON_HEADERS, rows),
        )
    assert job.state == "invalid"
    assert job.summary["preview"][0]["code"] == "rate_limited"
    assert not Person.objects.filter(name__in=["甲", "乙", "丙"]).exists()
    assert all(
        _number_of(p) not in repr(r.detail) and str(p.id_number_index) not in repr(r.detail)
        for p in elsewhere
        for r in probes()
    )


def test_the_system_actor_is_not_limited(street, settings):
    settings.WANGGE_ID_PROBE_RATE = "1/h"
    from wangge.core.scope import Actor

    here = household_in(street.grid_a1)
    taken = make_person("壬", household=household_in(street.grid_b1))
    with pytest.raises(ValidationFailed):  # still unique, but told plainly and not counted
        person_create(
            actor=Actor.system(),
            data={"name": "系统", "id_number": _number_of(taken)},
            household_id=here.id,
        )
    for _n in range(3):
        person_create(
            actor=Actor.system(),
            data={"name": "系统", "id_number": valid_id_number()},
            household_id=here.id,
        )
    assert Person.objects.filter(name="系统").count() == 3


def test_the_page_names_the_rule_when_the_allowance_is_used_up(client, street, settings, english):
    settings.WANGGE_ID_PROBE_RATE = "1/h"
    client.force_login(grid_worker(street))
    here = household_in(street.grid_a1)
    elsewhere = make_person("癸", household=household_in(street.grid_b1))
    url = reverse("registry_household_person_add", args=[here.id])
    body = {"name": "新人", "id_number": _number_of(elsewhere)}
    with time_machine.travel(START, tick=False):
        assert client.post(url, body, HTTP_ACCEPT_LANGUAGE="en").status_code == 422
        before = snapshot()
        page = client.post(
            url, {"name": "新人", "id_number": valid_id_number()}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert page.status_code == 429
    assert "at most 1/h" in page.content.decode()
    assert snapshot() == before
