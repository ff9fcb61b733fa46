"""Property: odd values in query parameters never give a 5xx, and answers under /api/ and
/open311/ are never HTML (hypothesis throws huge, negative, non-finite, malformed and control-
character values at the parameters that parse numbers, dates and cursors)."""

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wangge.cases.tests.factories import category, crew
from wangge.core.models import User
from wangge.core.tokens import api_token_issue

pytestmark = pytest.mark.django_db

ODD = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        [
            "nan",
            "inf",
            "-inf",
            "1e999",
            "",
            " ",
            "0x10",
            "٣",
            "9" * 5000,
            "-0",
            "0001-01-01",
            "9999-12-31T23:59:59+14:00",
            "2026-02-30",
            "SJ" + "9" * 40,
            "a,b,,c",
            "SJ\x00",
        ]
    ),
    # Control characters included: PostgreSQL refuses NUL in text (answered 400).
    st.text(max_size=30),
)

ENDPOINTS = [
    ("/api/v1/persons", ("after", "building", "age_min", "age_max", "limit", "tag", "grid")),
    ("/api/v1/cases", ("after", "limit", "queue")),
    ("/api/v1/grids/locate", ("lat", "lng")),
    ("/open311/v2/requests.json", ("start_date", "end_date", "service_request_id", "status")),
    ("/open311/v2/requests.xml", ("start_date", "service_code")),
    ("/open311/v2/servicerequestupdates.json", ("start_date", "end_date")),
]


@pytest.fixture
def api_client():
    cache.clear()
    team = crew()
    category()
    user = team.community_a.user
    assert isinstance(user, User)
    raw = api_token_issue(user=user)[0]
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=False)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    values=st.lists(ODD, min_size=1, max_size=3),
    data=st.data(),
)
def test_odd_query_values_never_give_a_5xx_or_html(api_client, endpoint, values, data):
    url, names = endpoint
    chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(values)))
    params = dict(zip(chosen, values, strict=False))
    response = api_client.get(url, params)
    assert response.status_code < 500, (url, params, response.content[:300])
    assert not response["Content-Type"].startswith("text/html"), (url, params)
