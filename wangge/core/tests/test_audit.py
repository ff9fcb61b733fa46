"""The audit trail: the auditor's page and selector, append-only storage, recorded denials."""

import datetime as dt

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from wangge.core.audit import audit_record
from wangge.core.audit_selectors import AuditFilters, audit_event_list
from wangge.core.errors import NotFound, ValidationFailed
from wangge.core.models import AuditEvent, AuditResult
from wangge.core.scope import Actor, actor_for_user
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import grid_worker, staff_user

from .helpers import sign_in

pytestmark = pytest.mark.django_db


def record(action, *, path="", result=AuditResult.OK, username="someone", at=None, **extra):
    if at is None:
        return audit_record(
            actor=None, action=action, org_path=path, result=result, username=username, **extra
        )
    return AuditEvent.objects.create(
        occurred_at=at,
        actor_username=username,
        action=action,
        org_path=path,
        result=result,
        **extra,
    )


def test_auditor_sees_own_scope_and_unbound_events_only(street, auditor):
    record("case.update", path=street.grid_a1.path)
    record("auth.login")
    record("case.update", path="/999999999999/")  # another city
    page = audit_event_list(actor=actor_for_user(auditor), filters=AuditFilters())
    paths = sorted(event.org_path for event in page.events)
    assert paths == ["", street.grid_a1.path]
    assert "/999999999999/" not in paths


def test_community_auditor_does_not_see_the_neighbour(street):
    auditor_a = staff_user("aud_a", Role.AUDITOR, street.community_a)
    record("case.update", path=street.grid_a1.path)
    record("case.update", path=street.grid_b1.path)
    page = audit_event_list(actor=actor_for_user(auditor_a))
    assert [event.org_path for event in page.events] == [street.grid_a1.path]


def test_filters(street, auditor):
    actor = actor_for_user(auditor)
    record("auth.login", username="alice")
    record("auth.login_failed", username="bob", result=AuditResult.FAILED)
    record("user.disable", username="alice", object_type="user", object_id="7")

    def usernames(**filters):
        page = audit_event_list(actor=actor, filters=AuditFilters(**filters))
        return sorted(
            (e.actor_username, e.action) for e in page.events if e.action != "audit.search"
        )

    assert usernames(actor_username="alice") == [("alice", "auth.login"), ("alice", "user.disable")]
    assert usernames(action="auth.") == [("alice", "auth.login"), ("bob", "auth.login_failed")]
    assert usernames(action="auth.login") == [("alice", "auth.login")]
    assert usernames(object_type="user", object_id="7") == [("alice", "user.disable")]
    assert usernames(result="failed") == [("bob", "auth.login_failed")]
    today = timezone.localdate()
    assert len(usernames(date_from=today, date_to=today)) == 3
    assert usernames(date_to=today - dt.timedelta(days=1)) == []
    with pytest.raises(ValidationFailed) as caught:
        audit_event_list(actor=actor, filters=AuditFilters(result="maybe"))
    assert caught.value.field == "result"
    with pytest.raises(ValidationFailed) as caught:
        audit_event_list(
            actor=actor, filters=AuditFilters(date_from=today, date_to=today - dt.timedelta(days=1))
        )
    assert caught.value.field == "date_from"


def test_keyset_pagination_walks_everything_newest_first(street, auditor):
    base = timezone.now() - dt.timedelta(hours=1)
    for n in range(7):
        # Two events share each timestamp, so the id must break the tie.
        record(f"test.{n}", at=base + dt.timedelta(seconds=n // 2))
    actor = Actor.system()
    seen, after = [], None
    while True:
        page = audit_event_list(
            actor=actor, filters=AuditFilters(action="test."), after=after, limit=3
        )
        seen.extend(page.events)
        after = page.next_after
        if after is None:
            break
    keys = [(event.occurred_at, event.pk) for event in seen]
    assert len(seen) == 7 and len(set(keys)) == 7
    assert keys == sorted(keys, reverse=True)
    with pytest.raises(ValidationFailed):
        audit_event_list(actor=actor, after="not-a-cursor")


def test_audit_page_for_a_verified_auditor(client, street, auditor, auditor_device):
    record("case.update", path=street.grid_a1.path, object_type="case", object_id="SJ1")
    sign_in(client, auditor, device=auditor_device)
    page = client.get(reverse("audit"), {"object_type": "case"})
    assert page.status_code == 200
    assert [event.object_id for event in page.context["events"]] == ["SJ1"]
    assert "SJ1" in page.content.decode()
    search = AuditEvent.objects.filter(action="audit.search", actor=auditor).latest("pk")
    assert search.detail["filters"] == ["object_type"]
    # A bad filter shows the error and the unfiltered list, never a crash.
    bad = client.get(reverse("audit"), {"date_from": "2026-02-02", "date_to": "2026-01-01"})
    assert bad.status_code == 200 and bad.context["form"].errors
    stale = client.get(reverse("audit"), {"after": "garbage"})
    assert stale.status_code == 200


def test_audit_page_paginates(client, street, auditor, auditor_device):
    for n in range(60):
        record(f"bulk.{n}")
    sign_in(client, auditor, device=auditor_device)
    first = client.get(reverse("audit"), {"action": "bulk."})
    assert len(first.context["events"]) == 50 and first.context["next_url"]
    second = client.get(reverse("audit") + first.context["next_url"])
    assert len(second.context["events"]) == 10 and second.context["next_url"] is None
    assert second.context["first_url"] == "?action=bulk."


def test_grid_worker_gets_404_and_nothing_changes(client, street):
    worker = grid_worker(street)
    with pytest.raises(NotFound):
        audit_event_list(actor=actor_for_user(worker))
    sign_in(client, worker)
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    response = client.get(reverse("audit"))
    assert response.status_code == 404
    new = AuditEvent.objects.exclude(pk__in=before)
    # The only new row is the denial itself; no search was recorded for the worker.
    assert [(e.action, e.result) for e in new] == [("access.denied", AuditResult.DENIED)]


def test_unverified_auditor_session_is_sent_to_the_code_step(client, auditor, auditor_device):
    client.force_login(auditor)  # a session without the second factor
    response = client.get(reverse("audit"))
    assert response.status_code == 302 and response.url.startswith(reverse("login_totp"))


@pytest.mark.parametrize("change", ["update", "delete"])
def test_audit_trail_is_append_only_in_the_database(change):
    event = record("auth.login")
    with pytest.raises(DatabaseError), transaction.atomic():
        if change == "update":
            AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
        else:
            AuditEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.action == "auth.login"


@pytest.mark.urls("wangge.core.tests.urls_errors")
def test_error_middleware_turns_service_errors_into_pages(client, street):
    worker = grid_worker(street)
    sign_in(client, worker)
    not_found = client.get("/test-errors/not-found/")
    assert not_found.status_code == 404 and "404.html" in [t.name for t in not_found.templates]
    assert client.get("/test-errors/denied/").status_code == 403
    conflict = client.get("/test-errors/conflict/")
    assert (
        conflict.status_code == 409
        and "Someone saved a newer version." in conflict.content.decode()
    )
    invalid = client.get("/test-errors/invalid/")
    assert invalid.status_code == 422 and "Name is required." in invalid.content.decode()
    denials = AuditEvent.objects.filter(action="access.denied").order_by("pk")
    assert [(d.object_type, d.object_id, d.detail["status"]) for d in denials] == [
        ("person", "42", 404),
        ("", "", 403),
    ]
    assert all(d.actor == worker and d.result == AuditResult.DENIED for d in denials)
