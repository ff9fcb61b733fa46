"""A dump of the whole database holds no plaintext ID number or phone of a person."""

from datetime import date

import pytest
from django.db import connection

from wangge.orgs.actors import actor_for
from wangge.orgs.tests.factories import grid_worker
from wangge.registry.export_jobs import export_job_request, export_jobs_run_pending
from wangge.registry.selectors import person_get
from wangge.registry.services import person_create, person_update
from wangge.registry.tests.factories import (
    make_building,
    make_dwelling,
    make_household,
    valid_id_number,
)

pytestmark = pytest.mark.django_db(transaction=False)


def dump_text() -> str:
    """Every value of every table, as text; bytes both as Latin-1 and as UTF-8 where valid."""
    parts: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the schema
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, (bytes, bytearray, memoryview)):
                        raw = bytes(value)
                        parts.append(raw.decode("latin-1"))
                        parts.append(raw.decode("utf-8", "ignore"))
                    else:
                        parts.append(str(value))
    return "\n".join(parts)


def test_no_plaintext_identifier_anywhere_in_the_database(street, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    worker = actor_for(grid_worker(street))
    household = make_household(make_dwelling(make_building(street.grid_a1)))
    number = valid_id_number(date(1961, 7, 1), female=True)
    person = person_create(
        actor=worker,
        data={
            "name": "刘桂兰",
            "id_number": number,
            "phone": "13987654321",
            "registered_address": "四川省眉山市东坡区苏祠路88号",
        },
        household_id=household.id,
    )
    person_update(actor=worker, person_id=person.id, version=1, data={"phone": "13711223344"})
    person_get(actor=worker, person_id=person.id)
    export_job_request(actor=worker, request=None, filters={})
    export_jobs_run_pending()
    text = dump_text()
    assert "刘桂兰" in text  # the dump is real: names are not encrypted
    for secret in (number, number[:17], "13987654321", "13711223344", "苏祠路88号"):
        assert secret not in text, secret
