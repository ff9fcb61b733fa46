"""查询进度: anyone may follow by number and sees the public part only."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from wangge.cases.attachments import photos_stored
from wangge.cases.tests.factories import category, report
from wangge.cases.tests.photos import upload
from wangge.cases.views.attachments import photo_token

from .conftest import closed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def case(team):
    category()
    with photos_stored([upload()]) as keys:
        made = report(
            team.resident,
            description="我家楼下路灯坏了，晚上看不见",
            address="三苏社区幸福路8号2单元",
            reporter_phone="13912345678",
            photos=keys,
        )
    return closed(team, made), keys[0]


def test_the_follow_page_shows_the_public_part_only(client, team, case):
    case, key = case
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.get(reverse("portal_follow"), {"number": case.number})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert case.number in html and "路灯损坏" in html
    assert 'data-status="closed"' in html and "Done" in html
    assert case.handler_unit.name in html  # the unit that holds it
    for step in ("Report received", "Accepted", "Sent to the unit that handles it", "Closed"):
        assert step in html
    # Nothing personal: no description, address, reporter, phone, notes, staff names or photos.
    for secret in (
        "我家楼下路灯坏了",
        "幸福路8号",
        "张阿姨",
        "resident1",
        "13912345678",
        "139****5678",
        "灯泡已更换",
        "需要街道协调",
        "王小明",
        "gw_a1",
        "cs_a",
        photo_token(key),
        "/photos/",
        str(case.lng),
    ):
        assert secret not in html, secret


def test_an_unknown_number_answers_not_found(client, team, case):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    for number in ("SJ20990101000001", "x' OR 1=1", "A" * 19):
        response = client.get(reverse("portal_follow"), {"number": number})
        assert response.status_code in (404, 422)
        html = response.content.decode()
        assert "data-status" not in html
    response = client.get(reverse("portal_follow"), {"number": "SJ20990101000001"})
    assert "No case with this number was found" in response.content.decode()


def test_lookups_are_limited_per_address(client, team, case, settings):
    case, _key = case
    settings.WANGGE_RATE_LIMITS = {**settings.WANGGE_RATE_LIMITS, "portal_follow": "3/10m"}
    for _ in range(3):
        assert client.get(reverse("portal_follow"), {"number": case.number}).status_code == 200
    response = client.get(reverse("portal_follow"), {"number": case.number})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 600
    assert "data-status" not in response.content.decode()
    # Another address is counted on its own.
    other = client.get(
        reverse("portal_follow"), {"number": case.number}, REMOTE_ADDR="198.51.100.9"
    )
    assert other.status_code == 200
