"""Open311 under hostile input: sensitive categories never leak, media links are signed and
expire, XML stays well-formed, oversized or malformed bodies and floods get the specification's
error body (never HTML, never a 5xx)."""

import io
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from PIL import Image

from wangge.api.open311.serializers import to_xml, xml_safe
from wangge.cases.attachments import photos_stored
from wangge.cases.enums import CaseState
from wangge.cases.models import Case, CaseEvent
from wangge.cases.tests.photos import upload
from wangge.cases.tests.test_open311 import BASE, IN_GRID, make_case
from wangge.core.tokens import api_token_issue
from wangge.orgs.tests.factories import make_street, staff_user

pytestmark = pytest.mark.django_db
DISPUTE = "2101"  # seeded: 邻里纠纷, a social-governance (sensitive) category
SECRET = "SJ20261130000777"
# No NUL: PostgreSQL text cannot hold one (a NUL in input is answered 400: test_no_5xx_property);
# every other character XML 1.0 forbids can be stored and must not break the XML.
CONTROL = "灯\x01不\x02亮\x0b\x0c\x1f\ufffe\uffff了"


def parse(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 (our own answer, in a test)


def text_at(document: ET.Element, path: str) -> str | None:
    found = document.find(path)
    assert found is not None, path
    return found.text


@pytest.fixture(autouse=True)
def _clean(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_key():
    make_street()
    raw, _token = api_token_issue(user=staff_user("open311-client"))
    return raw


# --- the privacy of sensitive categories --------------------------------------------------------


@pytest.fixture
def dispute():
    case = make_case(DISPUTE, SECRET, description="张三与李四争吵", idempotency_key="open311:1:k")
    CaseEvent.objects.create(case=case, at=timezone.now(), action="x", to_state=CaseState.REPORTED)
    make_case("0101", "SJ20261130000778")
    return case


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"service_request_id": SECRET},
        {"service_request_id": f"{SECRET},SJ20261130000778"},
        {"service_code": DISPUTE},
        {"service_code": DISPUTE, "status": "open"},
        {"service_code": DISPUTE, "start_date": "2000-01-01", "end_date": "2100-01-01"},
        {"service_request_id": SECRET, "status": "bogus"},  # fails validation after the id
        {"service_request_id": SECRET, "start_date": "99999-01-01"},
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_sensitive_case_never_appears_whatever_the_filters(client, dispute, params, fmt):
    response = client.get(f"{BASE}requests.{fmt}", params)
    assert response.status_code in (200, 400)
    assert SECRET not in response.content.decode()
    assert "张三" not in response.content.decode()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_sensitive_case_by_number_answers_exactly_like_an_unknown_number(client, dispute, fmt):
    unknown = "SJ20261130000999"
    secret = client.get(f"{BASE}requests/{SECRET}.{fmt}")
    missing = client.get(f"{BASE}requests/{unknown}.{fmt}")
    assert secret.status_code == missing.status_code == 404
    assert secret.content == missing.content.replace(unknown.encode(), SECRET.encode())


@pytest.mark.parametrize("url", ["servicerequestupdates.json", "tokens/open311:1:k.json"])
def test_a_sensitive_case_is_not_in_updates_or_behind_a_token(client, dispute, url):
    response = client.get(f"{BASE}{url}")
    assert SECRET not in response.content.decode()
    if url.startswith("servicerequestupdates"):
        assert response.status_code == 200 and response.json() == []
    else:
        assert response.status_code == 404


def test_a_client_posting_a_sensitive_case_gets_no_text_or_place_back(client, api_key):
    response = client.post(
        f"{BASE}requests.json",
        {
            "api_key": api_key,
            "service_code": DISPUTE,
            "description": "张三与李四争吵",
            "lat": IN_GRID["lat"],
            "long": IN_GRID["lng"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()[0]
    assert body["description"] is None and body["lat"] is None and body["address"] is None
    assert body["media_url"] is None
    number = body["service_request_id"]
    assert client.get(f"{BASE}requests/{number}.json").status_code == 404


# --- media_url ---------------------------------------------------------------------------------


@pytest.fixture
def with_photo():
    with photos_stored([upload(data=None, size=(1200, 800), gps=True)]) as keys:
        case = make_case("0101", "SJ20261130000800", photos=keys)
    return case


def test_media_url_is_a_signed_link_to_an_exif_free_thumbnail(client, with_photo):
    body = client.get(f"{BASE}requests/{with_photo.number}.json").json()[0]
    url = body["media_url"]
    assert with_photo.photos[0] not in url and "cases/" not in url
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert max(image.size) <= 320
    assert dict(image.getexif()) == {}


def test_a_media_link_expires_and_cannot_be_altered(client, with_photo, settings):
    settings.WANGGE_OPEN311_MEDIA_SECONDS = 60
    url = client.get(f"{BASE}requests/{with_photo.number}.json").json()[0]["media_url"]
    path = url.removeprefix("http://testserver")
    tampered = path.replace(".jpg", "x.jpg")
    assert client.get(tampered).status_code == 404
    with time_machine.travel(timezone.now() + timedelta(seconds=120)):
        expired = client.get(path)
    assert expired.status_code == 404 and expired.json()[0]["code"] == 404


def test_no_media_url_for_an_anonymous_case(client, with_photo):
    Case.objects.filter(pk=with_photo.pk).update(anonymous=True)
    body = client.get(f"{BASE}requests/{with_photo.number}.json").json()[0]
    assert body["media_url"] is None


def test_an_old_link_stops_working_once_the_case_is_no_longer_public(client, with_photo):
    url = client.get(f"{BASE}requests/{with_photo.number}.json").json()[0]["media_url"]
    Case.objects.filter(pk=with_photo.pk).update(anonymous=True)
    assert client.get(url.removeprefix("http://testserver")).status_code == 404


# --- XML stays well-formed ------------------------------------------------------------------------


def test_control_characters_in_stored_text_keep_the_xml_valid(client):
    make_case("0101", "SJ20261130000900", description=CONTROL, address=CONTROL, title=CONTROL)
    for url in ("requests.xml", "requests/SJ20261130000900.xml"):
        response = client.get(f"{BASE}{url}")
        assert response.status_code == 200
        document = parse(response.content)
        assert text_at(document, "request/description") == "灯不亮了"
        assert text_at(document, "request/address") == "灯不亮了"
    assert client.get(f"{BASE}requests.json").json()[0]["description"] == CONTROL


def test_lone_surrogates_and_forbidden_characters_are_dropped_from_xml():
    assert xml_safe("a\ud800b\x00c\td\ne\rf") == "abc\td\ne\rf"
    document = parse(to_xml("root", {"text": "x\udfffy\x08z"}))
    assert text_at(document, "text") == "xyz"


# --- errors in the specification's format ----------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_oversized_post_is_413_in_the_requested_format(client, api_key, settings, fmt):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    response = client.post(f"{BASE}requests.{fmt}", {"api_key": api_key, "description": "长" * 500})
    assert response.status_code == 413
    if fmt == "xml":
        assert text_at(parse(response.content), "error/code") == "413"
    else:
        assert response.json()[0]["code"] == 413
    assert not Case.objects.exists()


def test_a_malformed_multipart_body_is_400_not_500(api_key):
    client = Client(raise_request_exception=False)
    response = client.post(
        f"{BASE}requests.xml",
        data=b"--x\r\nContent-Disposition: form-data\r\n\r\nbroken",
        content_type="multipart/form-data; boundary=",
    )
    assert response.status_code == 400
    assert text_at(parse(response.content), "error/code") == "400"


def test_an_unknown_open311_path_is_the_specs_404_not_html(client):
    response = client.get(f"{BASE}nothing/here.xml")
    assert response.status_code == 404
    assert text_at(parse(response.content), "error/code") == "404"


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999", "9" * 400])
def test_odd_numbers_for_a_coordinate_are_the_specs_400(client, api_key, value):
    response = client.post(
        f"{BASE}requests.json",
        {"api_key": api_key, "service_code": "0101", "lat": value, "long": "104.0"},
    )
    assert response.status_code == 400 and "lat" in response.json()[0]["description"]


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "0001-01-01T00:00:00+14:00"])
def test_far_dates_are_the_specs_400(client, value):
    for name in ("start_date", "end_date"):
        response = client.get(f"{BASE}requests.json", {name: value})
        assert response.status_code == 400 and name in response.json()[0]["description"]
    response = client.get(f"{BASE}servicerequestupdates.json", {"end_date": value})
    assert response.status_code == 400


def test_a_flood_of_posts_is_429_in_the_requested_format(client, api_key, settings):
    settings.WANGGE_RATE_LIMITS = {**settings.WANGGE_RATE_LIMITS, "open311_post": "2/m"}
    for _ in range(2):
        assert client.post(f"{BASE}requests.xml", {"api_key": api_key}).status_code == 400
    refused = client.post(f"{BASE}requests.xml", {"api_key": api_key})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert text_at(parse(refused.content), "error/code") == "429"


def test_a_flood_from_one_client_is_limited_across_addresses(client, api_key, settings):
    settings.WANGGE_RATE_LIMITS = {**settings.WANGGE_RATE_LIMITS, "open311_post_client": "2/m"}
    for n in range(2):
        response = client.post(
            f"{BASE}requests.json", {"api_key": api_key}, REMOTE_ADDR=f"198.51.100.{n}"
        )
        assert response.status_code == 400
    refused = client.post(f"{BASE}requests.json", {"api_key": api_key}, REMOTE_ADDR="198.51.100.9")
    assert refused.status_code == 429 and refused.json()[0]["code"] == 429
