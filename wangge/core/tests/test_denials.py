"""core.denials.denials_audited, the one decorator both orgs and cases services use: a marked
denial is recorded once, with the object the mark names, after the service's transaction rolled
back (a nested service's row rolls back with the outer service, which records it under its own
action); an unmarked error is not a denial."""

import pytest
from django.db import transaction

from wangge.core.audit import audit_record
from wangge.core.denials import denials_audited, mark_denial
from wangge.core.errors import NotFound, ValidationFailed
from wangge.core.models import AuditEvent, AuditResult
from wangge.core.scope import Actor

pytestmark = pytest.mark.django_db


@denials_audited("test.inner")
@transaction.atomic
def inner(*, actor, marked: bool = True):
    audit_record(actor=actor, action="test.written")  # rolled back with the service
    error = NotFound("no such thing", field="code")
    if marked:
        mark_denial(error, object_type="test.thing", object_id="T1", path="/1/2/")
    raise error


@denials_audited("test.outer")
@transaction.atomic
def outer(*, actor):
    inner(actor=actor)


def rows() -> list[tuple[str, str, str, str]]:
    return list(AuditEvent.objects.values_list("action", "object_type", "object_id", "org_path"))


def test_a_marked_denial_is_recorded_after_the_rollback():
    with pytest.raises(NotFound) as refused:
        inner(actor=Actor.system())
    assert refused.value.audited is True
    # The write inside the failed transaction is gone; the denial stays.
    assert rows() == [("test.inner", "test.thing", "T1", "/1/2/")]


def test_a_denial_inside_another_audited_service_is_recorded_once_by_the_outer_one():
    with pytest.raises(NotFound) as refused:
        outer(actor=Actor.system())
    assert refused.value.audited is True
    # The inner service's row rolled back with the outer transaction.
    assert rows() == [("test.outer", "test.thing", "T1", "/1/2/")]
    row = AuditEvent.objects.get()
    assert (row.result, row.detail, row.actor_username) == (
        AuditResult.DENIED,
        {"reason": "not_found"},
        "system",
    )


def test_an_unmarked_error_is_not_a_denial():
    with pytest.raises(NotFound) as refused:
        inner(actor=Actor.system(), marked=False)
    assert refused.value.audited is False
    assert not AuditEvent.objects.exists()


def test_a_marked_validation_error_is_recorded_too():
    @denials_audited("test.validate")
    def refuse(*, actor):
        raise mark_denial(
            ValidationFailed("not yours", code="outside", field="unit_codes"),
            object_type="test.thing",
            object_id="T2",
            path="/1/",
        )

    with pytest.raises(ValidationFailed):
        refuse(actor=None)
    row = AuditEvent.objects.get()
    assert (row.action, row.result, row.detail, row.actor_username) == (
        "test.validate",
        AuditResult.DENIED,
        {"reason": "outside"},
        "",
    )
