"""id_list: a list of ids as one parameter gives the same rows as pk__in with a plain list."""

import pytest
from django.utils import timezone

from wangge.core.id_lists import id_list
from wangge.core.models import AuditEvent, AuditResult

pytestmark = pytest.mark.django_db


def make_events(count: int) -> list[int]:
    return [
        AuditEvent.objects.create(
            occurred_at=timezone.now(), action=f"test.{n}", result=AuditResult.OK
        ).pk
        for n in range(count)
    ]


def test_the_same_rows_as_a_plain_list():
    ids = make_events(6)
    wanted = [ids[0], ids[2], ids[5], 10**12]  # one id that does not exist
    rows = AuditEvent.objects.filter(pk__in=id_list(wanted)).values_list("pk", flat=True)
    assert sorted(rows) == sorted(ids[i] for i in (0, 2, 5))
    assert not AuditEvent.objects.filter(pk__in=id_list([])).exists()


def test_more_ids_than_one_statement_may_have_parameters():
    ids = make_events(3)
    many = list(range(10**9, 10**9 + 300_000)) + ids  # past SQLite's parameter limit
    assert AuditEvent.objects.filter(pk__in=id_list(many)).count() == 3
