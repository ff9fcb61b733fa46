"""Fuzzing the reader and the row rules: random cells and rows never crash an import (every
problem is a collected row error or a file-level ValidationFailed), and a failed import leaves
the register unchanged."""

import io
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wangge.core.errors import ValidationFailed
from wangge.core.scope import Actor
from wangge.registry.importing import cells
from wangge.registry.importing.base import run_import
from wangge.registry.importing.jobs import IMPORTERS
from wangge.registry.importing.reader import open_table
from wangge.registry.models import Building, Dwelling, Household, Organisation, Person

from .import_factories import (
    community_register,
    csv_bytes,
    import_storage,  # noqa: F401 (autouse fixture)
    person_row,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db

CELL = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.sampled_from(["男", "女", "户籍", "流动", "户主", "是", "自住", "商铺", "1980-05-17", "X"]),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)
PARSERS = [
    cells.text,
    lambda v: cells.limited(v, 8),
    cells.a_date,
    cells.a_number,
    lambda v: cells.a_count(v, low=0, high=10),
    lambda v: cells.a_coordinate(v, limit=90),
    cells.gender,
    cells.residence_status,
    cells.relationship,
    cells.dwelling_use,
    cells.organisation_kind,
    cells.yes_no,
    cells.political_status,
]


@given(value=CELL)
def test_cell_parsers_return_a_value_or_a_cell_problem(value):
    for parse in PARSERS:
        try:
            parse(value)
        except cells.CellProblem as problem:
            assert problem.message and problem.code


def register_snapshot() -> tuple:
    return tuple(
        sorted(model.objects.values_list("id", "version"))
        for model in (Person, Household, Dwelling, Building, Organisation)
    )


def as_file_value(value):
    """What a spreadsheet can hold: no timezone-aware or out-of-range datetimes."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.year >= 1900 else None
    if isinstance(value, date):
        return value if value.year >= 1900 else None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, str):
        return "".join(ch for ch in value if ch.isprintable())
    return value


def write_xlsx(headers, rows) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "nan_inf_to_errors": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, headers)
    for number, row in enumerate(rows, start=1):
        for position, value in enumerate(row):
            value = as_file_value(value)
            if isinstance(value, datetime | date):
                sheet.write_datetime(number, position, value)
            elif value is not None:
                sheet.write(number, position, value)
    workbook.close()
    return buffer.getvalue()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(sorted(IMPORTERS)),
    rows=st.lists(st.lists(CELL, max_size=18), min_size=1, max_size=6),
    as_csv=st.booleans(),
    mutate=st.integers(min_value=0, max_value=16),
)
def test_random_rows_never_crash_and_a_failed_import_changes_nothing(
    street_register, kind, rows, as_csv, mutate
):
    importer_class = IMPORTERS[kind]
    headers = [column.header for column in importer_class.columns]
    # Mix in one nearly valid person row with one cell replaced, so the rules get exercised
    # deeper than "required".
    if kind == "persons":
        near = person_row("王芳")
        near[mutate % len(near)] = rows[0][0] if rows[0] else None
        rows = [near, *rows]
    content = (
        csv_bytes(headers, [[as_file_value(v) for v in row] for row in rows])
        if as_csv
        else write_xlsx(headers, rows)
    )
    before = register_snapshot()
    try:
        table = open_table("f.csv" if as_csv else "f.xlsx", content, importer_class.columns)
    except ValidationFailed:
        return
    importer = importer_class(
        actor=Actor.system(),
        scope_path=street_register.community_a.path,
        positions=table.positions,
        write=True,
    )
    from django.db import transaction

    class Undo(Exception):
        pass

    try:
        with transaction.atomic():
            outcome = run_import(importer, table)
            for error in outcome.errors:
                assert error.row >= 2 and error.column and error.message and error.code
            if outcome.errors:
                raise Undo
            raise Undo  # the test never keeps writes
    except Undo:
        pass
    assert register_snapshot() == before


@pytest.fixture
def street_register(street):
    community_register(street)
    return street


@settings(max_examples=60, deadline=None)
@given(content=st.binary(max_size=400), suffix=st.sampled_from(["csv", "xlsx", "txt", ""]))
def test_random_bytes_are_a_file_error_not_a_crash(content, suffix):
    columns = IMPORTERS["persons"].columns
    try:
        table = open_table(f"f.{suffix}", content, columns)
        list(table.rows)
    except ValidationFailed as exc:
        assert exc.code in ("invalid_file", "missing_columns")


def test_an_xlsx_with_a_valid_header_and_garbage_rows():
    content = xlsx_bytes(["姓名", "公民身份号码"], [["x", 1e300], [None, True]])
    with pytest.raises(ValidationFailed) as caught:
        open_table("f.xlsx", content, IMPORTERS["persons"].columns)
    assert caught.value.code == "missing_columns"
