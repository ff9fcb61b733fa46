"""Anonymous and resident writes are rate-limited per client address and per phone number, in
the shared cache, before the body is parsed or a photo decoded; oversized posts are refused."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from PIL import Image

from wangge.cases.models import Case
from wangge.cases.tests.factories import POINT_A1, category, report
from wangge.cases.tests.photos import upload
from wangge.core.crypto import phone_index
from wangge.core.models import AuditEvent, User

from .conftest import closed, resident_client

pytestmark = pytest.mark.django_db
NOISE = "1405"  # seeded: 噪音扰民, anonymous allowed
PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rates(settings):
    def set_rates(**rates):
        settings.WANGGE_RATE_LIMITS = {**settings.WANGGE_RATE_LIMITS, **rates}

    return set_rates


def noise_report(**extra) -> dict:
    return {
        "category_code": NOISE,
        "description": "楼下每晚唱歌到凌晨",
        "lng": POINT_A1[0],
        "lat": POINT_A1[1],
        **extra,
    }


def test_anonymous_reports_are_limited_per_address_before_any_photo_is_decoded(
    client, team, rates, monkeypatch, english
):
    rates(portal_report="2/h")
    for _ in range(2):
        assert client.post(reverse("portal_report"), noise_report()).status_code == 302
    decoded: list = []
    original_open = Image.open

    def counted_open(*args, **kwargs):
        decoded.append(args)
        return original_open(*args, **kwargs)

    monkeypatch.setattr(Image, "open", counted_open)
    refused = client.post(reverse("portal_report"), noise_report(photos=[upload()]))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "Too many reports from here" in refused.content.decode()
    assert Case.objects.count() == 2 and decoded == []
    # Another address still gets through.
    other = client.post(reverse("portal_report"), noise_report(), REMOTE_ADDR="198.51.100.20")
    assert other.status_code == 302 and Case.objects.count() == 3


def test_a_spoofed_forwarded_for_does_not_escape_the_limit(client, team, rates, settings):
    settings.WANGGE_TRUSTED_PROXIES = ()
    rates(portal_report="1/h")
    assert client.post(reverse("portal_report"), noise_report()).status_code == 302
    spoofed = client.post(
        reverse("portal_report"), noise_report(), HTTP_X_FORWARDED_FOR="203.0.113.77"
    )
    assert spoofed.status_code == 429 and Case.objects.count() == 1


def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_alone(
    client, team, rates, settings
):
    settings.WANGGE_TRUSTED_PROXIES = ("127.0.0.0/8",)
    rates(portal_report="1/h")
    first = {"HTTP_X_FORWARDED_FOR": "203.0.113.1"}
    second = {"HTTP_X_FORWARDED_FOR": "203.0.113.2"}
    assert client.post(reverse("portal_report"), noise_report(), **first).status_code == 302
    assert client.post(reverse("portal_report"), noise_report(), **second).status_code == 302
    assert client.post(reverse("portal_report"), noise_report(), **first).status_code == 429
    assert Case.objects.count() == 2


def test_a_residents_reports_are_limited_per_phone_whatever_the_address(
    client, team, rates, english
):
    rates(portal_report="100/h", portal_report_phone="2/h")
    User.objects.filter(pk=team.resident.user.pk).update(phone_index=phone_index(PHONE))
    resident_client(client, team.resident)
    for number in range(2):
        response = client.post(
            reverse("portal_report"), noise_report(), REMOTE_ADDR=f"198.51.100.{number + 1}"
        )
        assert response.status_code == 302
    refused = client.post(reverse("portal_report"), noise_report(), REMOTE_ADDR="198.51.100.3")
    assert refused.status_code == 429
    assert "Too many reports from here" in refused.content.decode()
    assert Case.objects.count() == 2


def test_a_residents_rating_is_limited_and_nothing_changes(client, team, rates, english):
    category()
    case = closed(team, report(team.resident, description="路灯整晚不亮"))
    rates(resident_write="1/h")
    resident_client(client, team.resident)
    url = reverse("portal_my_case", args=[case.number])
    assert client.get(url).status_code == 200
    # The first write passes the limit (and is refused by the form: no rating given).
    assert client.post(reverse("portal_rate", args=[case.number]), {}).status_code == 422
    audit_rows = AuditEvent.objects.count()
    refused = client.post(
        reverse("portal_rate", args=[case.number]), {"version": case.version, "rating": 5}
    )
    assert refused.status_code == 429 and "Too many changes" in refused.content.decode()
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.rating, fresh.version) == (case.state, case.rating, case.version)
    assert AuditEvent.objects.count() == audit_rows


def test_an_oversized_report_is_refused_before_it_is_read(client, team, settings, english):
    settings.WANGGE_REPORT_MAX_BYTES = 1000
    response = client.post(
        reverse("portal_report"),
        noise_report(description="x"),
        CONTENT_LENGTH=str(1000 + 2 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "larger than" in response.content.decode()
    assert not Case.objects.exists()
