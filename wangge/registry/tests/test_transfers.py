"""Transfer requests (人员转入): asked by a grid worker who cannot see the person, decided by
an admin covering both places, never telling the requester where the person lives."""

import pytest
from django.urls import reverse

from wangge.core.errors import Conflict, NotFound, ValidationFailed
from wangge.core.models import AuditEvent
from wangge.core.tests.helpers import give_device, sign_in
from wangge.core.tokens import api_token_issue
from wangge.notifications.models import Notification
from wangge.orgs.actors import actor_for
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import grid_worker, staff_user
from wangge.registry.identity import decrypted_identifiers
from wangge.registry.importing.jobs import import_job_create, job_errors
from wangge.registry.models import Person, PersonTransfer, RecordChange
from wangge.registry.transfers import (
    common_path,
    person_transfer_decide,
    person_transfer_list,
    person_transfer_mine,
    person_transfer_request,
)

from .factories import make_building, make_dwelling, make_household, make_person, valid_id_number
from .import_factories import PERSON_HEADERS, person_row, xlsx_bytes

pytestmark = pytest.mark.django_db


def household_in(grid, number=None):
    return make_household(make_dwelling(make_building(grid)), number)


@pytest.fixture
def world(street):
    """A worker in grid A1 with a household, a person living in community B, and admins."""
    worker_user = grid_worker(street)
    here = household_in(street.grid_a1, "HH-HERE")
    there = household_in(street.grid_b1, "HH-THERE")
    person = make_person("赵六", household=there)
    return {
        "street": street,
        "worker_user": worker_user,
        "worker": actor_for(worker_user),
        "here": here,
        "person": person,
        "number": decrypted_identifiers(person)["id_number"],
        "street_admin": staff_user("admin_st", Role.ADMIN, street.street),
        "admin_a": staff_user("admin_a", Role.ADMIN, street.community_a),
    }


def ask(world, **extra):
    return person_transfer_request(
        actor=world["worker"],
        id_number=world["number"],
        reason="随子女迁入本小区居住",
        household_id=world["here"].id,
        relationship="parent",
        **extra,
    )


def state_of(world):
    person = Person.objects.get(pk=world["person"].pk)
    return (
        person.household_id,
        person.path,
        person.version,
        list(PersonTransfer.objects.values_list("id", "state")),
        RecordChange.objects.filter(object_id=person.pk).count(),
    )


def test_common_path():
    assert common_path("/1/2/3/", "/1/2/4/5/") == "/1/2/"
    assert common_path("/1/2/", "/1/2/3/") == "/1/2/"
    assert common_path("/1/", "/9/") == "/"


def test_the_requester_learns_nothing_about_the_person(world):
    transfer = ask(world)
    assert transfer.common_path == world["street"].street.path
    mine = person_transfer_mine(actor=world["worker"])
    assert [row["id"] for row in mine] == [transfer.pk]
    shown = repr(mine)
    street = world["street"]
    for secret in ("赵六", street.grid_b1.name, street.community_b.name, street.grid_b1.code):
        assert secret not in shown
    assert world["number"] not in shown  # masked, even though the requester typed it
    assert {"from_place", "person_name", "person_id"}.isdisjoint(mine[0])
    event = AuditEvent.objects.get(action="registry.person_transfer_request")
    assert event.org_path == world["here"].path  # the requester's side, not the person's
    assert world["number"] not in repr(event.detail)
    # The deciders are told in the app; the requester's side is not told where.
    told = Notification.objects.filter(kind="person_transfer")
    assert list(told.values_list("recipient__username", flat=True)) == ["admin_st"]


def test_an_admin_covering_both_places_approves_and_the_person_moves(world):
    transfer = ask(world)
    admin = actor_for(world["street_admin"])
    listed = person_transfer_list(actor=admin)
    assert [(row["id"], row["person_name"]) for row in listed] == [(transfer.pk, "赵六")]
    assert listed[0]["from_place"] == world["street"].grid_b1.name
    person_transfer_decide(actor=admin, transfer_id=transfer.pk, approve=True, note="")
    person = Person.objects.get(pk=world["person"].pk)
    assert (person.household_id, person.path, person.relationship) == (
        world["here"].id,
        world["here"].path,
        "parent",
    )
    history = RecordChange.objects.filter(object_id=person.pk, action="household")
    assert history.count() == 1
    transfer.refresh_from_db()
    assert transfer.state == "approved" and transfer.decided_by == world["street_admin"]
    assert AuditEvent.objects.filter(
        action="registry.person_transfer_decide", object_id=str(transfer.pk)
    ).exists()
    told = Notification.objects.filter(recipient=world["worker_user"], kind="person_transfer")
    assert told.count() == 1
    assert person_transfer_list(actor=admin) == []  # decided: off the waiting list


def test_rejecting_needs_a_note_that_the_requester_reads(world):
    transfer = ask(world)
    admin = actor_for(world["street_admin"])
    before = state_of(world)
    with pytest.raises(ValidationFailed) as caught:
        person_transfer_decide(actor=admin, transfer_id=transfer.pk, approve=False, note=" ")
    assert caught.value.field == "note"
    assert state_of(world) == before
    person_transfer_decide(actor=admin, transfer_id=transfer.pk, approve=False, note="查无此人迁出")
    assert person_transfer_mine(actor=world["worker"])[0]["decision_note"] == "查无此人迁出"
    assert Person.objects.get(pk=world["person"].pk).path == world["person"].path
    with pytest.raises(Conflict):
        person_transfer_decide(actor=admin, transfer_id=transfer.pk, approve=True)


def test_only_admins_covering_both_places_decide_and_nothing_changes(world):
    transfer = ask(world)
    before = state_of(world)
    # The admin of community A covers the target only; the worker is no admin at all.
    for user in (world["admin_a"], world["worker_user"]):
        actor = actor_for(user)
        with pytest.raises(NotFound):
            person_transfer_decide(actor=actor, transfer_id=transfer.pk, approve=True)
    assert person_transfer_list(actor=actor_for(world["admin_a"])) == []
    with pytest.raises(NotFound):
        person_transfer_list(actor=world["worker"])
    assert state_of(world) == before


def test_the_decision_page_refuses_others_with_a_404_that_is_audited(client, world):
    transfer = ask(world)
    before = state_of(world)
    admin_a = world["admin_a"]
    sign_in(client, admin_a, device=give_device(admin_a))
    response = client.post(
        reverse("registry_transfer_decide", args=[transfer.pk]), {"decision": "approve"}
    )
    assert response.status_code == 404  # covers the target only: the request is out of scope
    assert state_of(world) == before
    assert AuditEvent.objects.filter(action="access.denied", actor_username="admin_a").exists()
    worker_client = client.__class__()
    worker_client.force_login(world["worker_user"])
    response = worker_client.post(
        reverse("registry_transfer_decide", args=[transfer.pk]), {"decision": "approve"}
    )
    assert response.status_code == 404
    assert worker_client.get(reverse("registry_transfers")).status_code == 404
    assert state_of(world) == before
    assert AuditEvent.objects.filter(
        action="access.denied", actor_username=world["worker_user"].username
    ).exists()


def test_the_pages_ask_list_and_decide(client, world, english):
    worker_client = client.__class__()
    worker_client.force_login(world["worker_user"])
    response = worker_client.post(
        reverse("registry_transfer_request"),
        {
            "id_number": world["number"],
            "reason": "随子女迁入",
            "household": world["here"].id,
            "relationship": "parent",
        },
    )
    assert response.status_code == 302 and response.url == reverse("registry_transfers_mine")
    mine = worker_client.get(reverse("registry_transfers_mine"), HTTP_ACCEPT_LANGUAGE="en")
    content = mine.content.decode()
    assert "Waiting for a decision" in content
    assert "赵六" not in content and world["street"].grid_b1.name not in content
    admin = world["street_admin"]
    sign_in(client, admin, device=give_device(admin))
    page = client.get(reverse("registry_transfers"), HTTP_ACCEPT_LANGUAGE="en")
    assert "赵六" in page.content.decode()
    transfer = PersonTransfer.objects.get()
    client.post(reverse("registry_transfer_decide", args=[transfer.pk]), {"decision": "approve"})
    transfer.refresh_from_db()
    assert transfer.state == "approved"


def test_request_rules_name_the_field(world):
    person_in_area = make_person("钱七", household=world["here"])
    cases = [
        ({"id_number": "110105"}, "id_number"),
        ({"id_number": valid_id_number()}, "id_number"),  # nobody holds it: add directly
        ({"id_number": decrypted_identifiers(person_in_area)["id_number"]}, "id_number"),
        ({"reason": "短"}, "reason"),
        ({"household_id": None}, "household"),
    ]
    for change, field in cases:
        data = {
            "id_number": world["number"],
            "reason": "随子女迁入本小区居住",
            "household_id": world["here"].id,
            **change,
        }
        with pytest.raises(ValidationFailed) as caught:
            person_transfer_request(actor=world["worker"], **data)
        assert caught.value.field == field, change
    assert not PersonTransfer.objects.exists()
    ask(world)
    with pytest.raises(Conflict):
        ask(world)
    assert PersonTransfer.objects.count() == 1


def test_a_target_out_of_the_requesters_area_is_not_found(world):
    elsewhere = household_in(world["street"].grid_b2)
    with pytest.raises(NotFound):
        person_transfer_request(
            actor=world["worker"],
            id_number=world["number"],
            reason="随子女迁入本小区居住",
            household_id=elsewhere.id,
        )
    assert not PersonTransfer.objects.exists()


def test_approving_one_request_closes_the_others_for_the_same_person(world):
    first = ask(world)
    other_user = staff_user("gw_a2", Role.GRID_WORKER, world["street"].grid_a2)
    second = person_transfer_request(
        actor=actor_for(other_user),
        id_number=world["number"],
        reason="租住本网格",
        grid_code=world["street"].grid_a2.code,
    )
    admin = actor_for(world["street_admin"])
    person_transfer_decide(actor=admin, transfer_id=second.pk, approve=True)
    person = Person.objects.get(pk=world["person"].pk)
    assert (person.household_id, person.grid_id) == (None, world["street"].grid_a2.id)
    first.refresh_from_db()
    assert first.state == "rejected" and first.decision_note


def test_the_api_asks_lists_and_decides(client, world):
    client.force_login(world["worker_user"])
    body = {
        "id_number": world["number"],
        "reason": "随子女迁入本小区居住",
        "household_id": world["here"].id,
    }
    created = client.post("/api/v1/person-transfers", body, content_type="application/json")
    assert created.status_code == 201
    transfer_id = created.json()["id"]
    mine = client.get("/api/v1/person-transfers/mine").json()
    assert [row["id"] for row in mine] == [transfer_id] and "from_place" not in mine[0]
    assert client.get("/api/v1/person-transfers").status_code == 404  # not a decider
    refused = client.post(
        f"/api/v1/person-transfers/{transfer_id}/decision",
        {"approve": True},
        content_type="application/json",
    )
    assert refused.status_code == 404
    assert PersonTransfer.objects.get().state == "pending"
    # Admins use the API with a token (a session needs the TOTP step first).
    raw = api_token_issue(user=world["street_admin"])[0]
    admin_client = client.__class__(HTTP_AUTHORIZATION=f"Bearer {raw}")
    listed = admin_client.get("/api/v1/person-transfers").json()
    assert [row["id"] for row in listed] == [transfer_id]
    decided = admin_client.post(
        f"/api/v1/person-transfers/{transfer_id}/decision",
        {"approve": True},
        content_type="application/json",
    )
    assert decided.status_code == 200 and decided.json()["state"] == "approved"


def test_rows_of_an_import_become_transfer_requests_in_one_action(
    client, world, settings, tmp_path, english
):
    settings.VAR_DIR = tmp_path
    settings.WANGGE_ID_PROBE_RATE = "1/h"  # the check uses it up; the action counts none again
    staff = staff_user("cs_a", Role.COMMUNITY_STAFF, world["street"].community_a)
    row = person_row(
        "赵六", id_number=world["number"], birth=world["person"].birth_date, female=False
    )
    row[PERSON_HEADERS.index("户编号")] = "HH-HERE"
    job = import_job_create(
        actor=actor_for(staff),
        kind="persons",
        file_name="persons.xlsx",
        content=xlsx_bytes(PERSON_HEADERS, [row]),
    )
    assert [(e["row"], e["code"]) for e in job_errors(job)] == [(2, "transfer_required")]
    client.force_login(staff)
    page = client.get(reverse("registry_import_job", args=[job.pk]))
    assert reverse("registry_import_transfers", args=[job.pk]) in page.content.decode()
    # Someone else cannot act on this job, and nothing is asked.
    other = client.__class__()
    other.force_login(staff_user("cs_b", Role.COMMUNITY_STAFF, world["street"].community_b))
    url = reverse("registry_import_transfers", args=[job.pk])
    assert other.post(url, {"reason": "随子女迁入"}).status_code == 404
    assert not PersonTransfer.objects.exists()
    response = client.post(url, {"reason": "随子女迁入"}, follow=True)
    assert "Transfer requests sent for rows 2." in response.content.decode()
    transfer = PersonTransfer.objects.get()
    assert (transfer.target_household_id, transfer.relationship, transfer.requested_by) == (
        world["here"].id,
        "head",
        staff,
    )
    again = client.post(url, {"reason": "随子女迁入"}, follow=True)
    assert "Row 2:" in again.content.decode() and PersonTransfer.objects.count() == 1


def test_a_missing_target_household_looks_like_one_out_of_scope(world):
    with pytest.raises(NotFound) as missing:
        person_transfer_request(
            actor=world["worker"],
            id_number=world["number"],
            reason="随子女迁入本小区居住",
            household_id=999_999,
        )
    assert missing.value.code == "not_found" and missing.value.field == "id"
    assert not PersonTransfer.objects.exists()
