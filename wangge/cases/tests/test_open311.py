"""Open311 GeoReport v2 at /open311/v2/: schemas, XML = JSON, error bodies, api_key, intake."""

import json
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from wangge.cases.enums import CaseSource, CaseState
from wangge.cases.models import Case, CaseCategory, CaseEvent
from wangge.cases.tests.open311_schemas import schemas_dir
from wangge.core.crypto import decrypt
from wangge.core.models import AccountKind, AuditEvent, AuditResult, User
from wangge.core.tokens import api_token_issue
from wangge.orgs.tests.factories import make_street, staff_user

pytestmark = pytest.mark.django_db

BASE = "/open311/v2/"
# Elements that the specification's XML uses as list wrappers, and the name of their items.
XML_LISTS = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
IN_GRID = {"lng": 104.005, "lat": 30.51}  # inside 三苏第一网格 of make_street()
PHONE = "13812345678"


def validator(name: str) -> Draft4Validator:
    documents = {p.name: json.loads(p.read_text()) for p in schemas_dir().glob("*.json")}
    registry: Registry = Registry().with_resources(
        (n, Resource.from_contents(d, default_specification=DRAFT4)) for n, d in documents.items()
    )
    return Draft4Validator(documents[name], registry=registry)


def assert_valid(body, schema: str) -> None:
    errors = [f"{list(e.path)}: {e.message}" for e in validator(schema).iter_errors(body)]
    assert errors == []


def parse_xml(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 (our own answer, in a test)


def xml_text(document: ET.Element, path: str) -> str | None:
    found = document.find(path)
    assert found is not None, path
    return found.text


def from_xml(element: ET.Element):
    if element.tag in XML_LISTS:
        assert all(child.tag == XML_LISTS[element.tag] for child in element)
        return [from_xml(child) for child in element]
    if len(element):
        return {child.tag: from_xml(child) for child in element}
    return element.text


def as_text(value):
    """What the JSON value looks like once written as XML text."""
    if isinstance(value, list):
        return [as_text(item) for item in value]
    if isinstance(value, dict):
        return {key: as_text(item) for key, item in value.items()}
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def both(client, url: str, root: str, **params):
    """The JSON and the XML answer of one resource, checked to agree; returns the JSON."""
    as_json = client.get(f"{BASE}{url}.json", params)
    as_xml = client.get(f"{BASE}{url}.xml", params)
    assert as_json.status_code == as_xml.status_code
    assert as_json["Content-Type"].startswith("application/json")
    assert as_xml["Content-Type"].startswith("text/xml")
    document = parse_xml(as_xml.content)
    assert document.tag == root
    body = as_json.json()
    assert from_xml(document) == as_text(body)
    return as_json.status_code, body


@pytest.fixture
def street():
    return make_street()


def make_case(category_code: str, number: str, *, state=CaseState.REPORTED, days_ago=1, **extra):
    now = timezone.now()
    defaults = {
        "source": CaseSource.RESIDENT,
        "state": state,
        "title": "路灯不亮",
        "description": "东坡大道路灯整晚不亮",
        "address": "东坡大道 18 号",
        "path": "/511400000000/",
        "reported_at": now - timedelta(days=days_ago),
        "due_at": now + timedelta(days=3),
        "lng": 104.005,
        "lat": 30.51,
    }
    defaults.update(extra)
    return Case.objects.create(
        number=number, category=CaseCategory.objects.get(code=category_code), **defaults
    )


# --- discovery and services ----------------------------------------------------------------------


def test_discovery_in_both_formats(client):
    status, body = both(client, "discovery", "discovery")
    assert status == 200
    endpoint = body["endpoints"][0]
    assert endpoint["url"].endswith("/open311/v2/")
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}


def test_services_are_the_active_leaf_categories(client):
    CaseCategory.objects.filter(code="0102").update(is_active=False)
    status, body = both(client, "services", "services")
    assert status == 200
    assert_valid(body, "services.json")
    codes = {service["service_code"] for service in body}
    leaves = CaseCategory.objects.filter(children=None, is_active=True)
    assert codes == set(leaves.values_list("code", flat=True))
    assert "01" not in codes and "0102" not in codes
    light = next(s for s in body if s["service_code"] == "0101")
    assert light["service_name"] == "路灯" and light["group"] == "市政公用设施"
    assert light["metadata"] is True and light["type"] == "realtime"
    assert next(s for s in body if s["service_code"] == "0301")["metadata"] is False


def test_service_definition_in_both_formats(client):
    status, body = both(client, "services/0101", "service_definition")
    assert status == 200
    assert_valid(body, "service-definition.json")
    attributes = {a["code"]: a for a in body["attributes"]}
    assert attributes["pole_number"]["datatype"] == "string"
    dark = attributes["fully_dark"]
    assert dark["datatype"] == "singlevaluelist" and dark["required"] is True
    assert {"key": "yes", "name": "完全不亮"} in dark["values"]


def test_unknown_service_code_is_the_specs_404(client):
    status, body = both(client, "services/9999", "errors")
    assert status == 404
    assert body[0]["code"] == 404 and "9999" in body[0]["description"]
    xml = parse_xml(client.get(f"{BASE}services/9999.xml").content)
    assert xml_text(xml, "error/code") == "404"


def test_unknown_format_is_a_404_with_the_error_body(client):
    response = client.get(f"{BASE}services.yaml")
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404


# --- GET requests ---------------------------------------------------------------------------------


def test_requests_validate_and_show_only_public_fields(client, street):
    reporter = staff_user("reporter-wang", display_name="王小明")
    make_case(
        "0101",
        "SJ20261130000001",
        reporter=reporter,
        handler_unit=street.department,
        reporter_phone_encrypted=b"secret",
        photos=["cases/light.jpg"],
    )
    make_case("2101", "SJ20261130000002", state=CaseState.CLOSED, description="张三与李四争吵")
    status, body = both(client, "requests", "service_requests")
    assert status == 200
    assert_valid(body, "requests.json")
    by_id = {r["service_request_id"]: r for r in body}
    light = by_id["SJ20261130000001"]
    assert light["status"] == "open"
    assert light["agency_responsible"] == "城管执法中队"
    assert light["service_name"] == "路灯" and light["lat"] == 30.51
    assert light["expected_datetime"].endswith("+08:00")
    # A signed link to the public thumbnail, never the storage key.
    assert "/open311/v2/media/" in light["media_url"] and "light" not in light["media_url"]
    # A dispute is about people: it is not public at all.
    assert "SJ20261130000002" not in by_id
    raw = client.get(f"{BASE}requests.json").content.decode()
    assert "王小明" not in raw and "reporter-wang" not in raw and "张三" not in raw


def test_status_notes_carry_the_detailed_state(client, english):
    make_case("0101", "SJ20261130000003", state=CaseState.DISPATCHED)
    make_case("0101", "SJ20261130000004", state=CaseState.MERGED)
    body = client.get(f"{BASE}requests.json", HTTP_ACCEPT_LANGUAGE="en").json()
    notes = {r["service_request_id"]: (r["status"], r["status_notes"]) for r in body}
    assert notes["SJ20261130000003"] == ("open", "Dispatched")
    assert notes["SJ20261130000004"] == ("closed", "Merged into another case")


def test_request_filters(client):
    make_case("0101", "SJ1", days_ago=1)
    make_case("0102", "SJ2", days_ago=2, state=CaseState.RATED)
    make_case("0101", "SJ3", days_ago=100)

    def ids(**params):
        body = client.get(f"{BASE}requests.json", params).json()
        assert_valid(body, "requests.json") if body else None
        return {r["service_request_id"] for r in body}

    assert ids() == {"SJ1", "SJ2"}  # the last 90 days by default
    assert ids(service_request_id="SJ3,SJ1", service_code="0102") == {"SJ1", "SJ3"}
    assert ids(service_code="0101") == {"SJ1"}
    assert ids(service_code="0101,0102") == {"SJ1", "SJ2"}
    assert ids(status="closed") == {"SJ2"}
    assert ids(status="open,closed") == {"SJ1", "SJ2"}
    old = (timezone.now() - timedelta(days=120)).isoformat()
    assert ids(start_date=old) == {"SJ1", "SJ2", "SJ3"}
    day_before = (timezone.localdate() - timedelta(days=2)).isoformat()
    assert ids(start_date=old, end_date=day_before) == {"SJ2", "SJ3"}


@pytest.mark.parametrize(
    ("params", "word"),
    [({"status": "pending"}, "status"), ({"start_date": "yesterday"}, "start_date")],
)
def test_bad_filters_get_the_specs_400(client, params, word):
    response = client.get(f"{BASE}requests.json", params)
    assert response.status_code == 400
    assert word in response.json()[0]["description"]
    assert response.json()[0]["code"] == 400


def test_one_request_in_both_formats_and_unknown_is_404(client):
    make_case("0101", "SJ20261130000005")
    status, body = both(client, "requests/SJ20261130000005", "service_requests")
    assert status == 200
    assert_valid(body, "requests.json")
    assert body[0]["service_code"] == "0101"
    status, body = both(client, "requests/SJ00000000000000", "errors")
    assert status == 404 and body[0]["code"] == 404


def test_request_list_has_no_n_plus_one(client, street):
    make_case("0101", "SJ10", handler_unit=street.department)
    with CaptureQueriesContext(connection) as one:
        client.get(f"{BASE}requests.json")
    for n in range(11, 16):
        make_case("0102", f"SJ{n}", handler_unit=street.community_a)
    with CaptureQueriesContext(connection) as six:
        body = client.get(f"{BASE}requests.json").json()
    assert len(body) == 6
    assert len(six) == len(one)


# --- POST requests --------------------------------------------------------------------------------


@pytest.fixture
def api_key(street):
    raw, _token = api_token_issue(user=staff_user("open311-client"))
    return raw


def post(client, api_key, fmt="json", **params):
    data = {"api_key": api_key, "service_code": "0101", "description": "路灯整晚不亮", **IN_GRID}
    data.update(params)
    data = {("long" if key == "lng" else key): value for key, value in data.items()}
    return client.post(f"{BASE}requests.{fmt}", {k: v for k, v in data.items() if v is not None})


def test_post_creates_a_case_through_intake(client, api_key):
    response = post(
        client,
        api_key,
        phone=PHONE,
        address_string="东坡大道 18 号",
        **{"attribute[fully_dark]": "yes"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert_valid(body, "requests.json")
    case = Case.objects.get()
    assert body[0]["service_request_id"] == case.number
    assert body[0]["account_id"] is None and body[0]["service_notice"]
    assert case.source == CaseSource.OPEN311 and case.category.code == "0101"
    assert case.attributes == {"fully_dark": "yes"}
    assert case.grid is not None and case.grid.name == "三苏第一网格"
    assert case.reporter is not None and case.reporter.username == "open311-client"
    assert PHONE not in response.content.decode()
    blob = case.reporter_phone_encrypted
    assert blob is not None and decrypt(blob, aad="cases.case.reporter_phone") == PHONE


def test_post_in_xml(client, api_key):
    response = post(client, api_key, fmt="xml", **{"attribute[fully_dark]": "flicker"})
    assert response.status_code == 201
    document = parse_xml(response.content)
    assert document.tag == "service_requests"
    assert xml_text(document, "request/service_request_id") == Case.objects.get().number
    assert xml_text(document, "request/account_id") is None


def test_the_same_idempotency_key_makes_one_case(client, api_key):
    params = {"attribute[fully_dark]": "yes", "idempotency_key": "device-42-report-1"}
    first = post(client, api_key, **params).json()
    second = post(client, api_key, **params).json()
    assert first[0]["service_request_id"] == second[0]["service_request_id"]
    assert Case.objects.count() == 1


@pytest.mark.parametrize("key", [None, "", "wg_not-a-real-token"])
def test_post_without_a_valid_api_key_is_403_and_writes_nothing(client, street, key):
    response = post(client, key, **{"attribute[fully_dark]": "yes"})
    assert response.status_code == 403
    assert response.json()[0]["code"] == 403 and "api_key" in response.json()[0]["description"]
    assert not Case.objects.exists()
    assert AuditEvent.objects.filter(action="access.denied", result=AuditResult.DENIED).exists()


def test_a_residents_token_is_not_an_open311_key(client, street):
    resident = User.objects.create_user(username="resident-1", kind=AccountKind.RESIDENT)
    raw, _token = api_token_issue(user=resident)
    response = post(client, raw, **{"attribute[fully_dark]": "yes"})
    assert response.status_code == 403
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("params", "status", "word"),
    [
        ({"service_code": None}, 400, "service_code"),
        ({"service_code": "9999"}, 404, "9999"),
        ({"lat": None, "lng": None}, 400, "address_string"),
        ({"lat": "north"}, 400, "lat"),
        ({}, 400, "fully_dark"),  # the required attribute is missing
        ({"attribute[fully_dark]": "purple"}, 400, "fully_dark"),
        ({"lat": 31.9, "lng": 104.0, "attribute[fully_dark]": "yes"}, 400, ""),  # in no grid
    ],
)
def test_bad_posts_get_the_specs_error_and_write_nothing(client, api_key, params, status, word):
    response = post(client, api_key, **params)
    assert response.status_code == status, response.content
    body = response.json()
    assert body[0]["code"] == status and word in body[0]["description"]
    assert not Case.objects.exists()


def test_other_methods_get_an_error_body(client):
    response = client.delete(f"{BASE}requests.json")
    assert response.status_code == 405
    assert response.json()[0]["code"] == 405


# --- servicerequestupdates (FixMyStreet) -------------------------------------------------------


def test_updates_follow_transitions_without_notes(client):
    case = make_case("0101", "SJ20261130000009")
    now = timezone.now()
    for minutes, to_state in ((30, CaseState.REPORTED), (20, CaseState.DISPATCHED), (10, "")):
        CaseEvent.objects.create(
            case=case,
            at=now - timedelta(minutes=minutes),
            action="x",
            to_state=to_state,
            note="联系人张三 13812345678",
        )
    CaseEvent.objects.create(
        case=case, at=now - timedelta(days=200), action="report", to_state=CaseState.REPORTED
    )
    status, body = both(client, "servicerequestupdates", "service_request_updates")
    assert status == 200
    assert [(u["service_request_id"], u["status"]) for u in body] == [
        ("SJ20261130000009", "OPEN"),
        ("SJ20261130000009", "ACTION_SCHEDULED"),
    ]
    assert body[1]["updated_datetime"].endswith("+08:00")
    raw = client.get(f"{BASE}servicerequestupdates.json").content.decode()
    assert "张三" not in raw and "13812345678" not in raw
    since = (now - timedelta(minutes=25)).isoformat()
    body = client.get(f"{BASE}servicerequestupdates.json", {"start_date": since}).json()
    assert [u["status"] for u in body] == ["ACTION_SCHEDULED"]
    bad = client.get(f"{BASE}servicerequestupdates.json", {"end_date": "soon"})
    assert bad.status_code == 400 and bad.json()[0]["code"] == 400


def test_a_posted_request_shows_up_in_updates(client, api_key):
    number = post(client, api_key, **{"attribute[fully_dark]": "yes"}).json()[0][
        "service_request_id"
    ]
    body = client.get(f"{BASE}servicerequestupdates.json").json()
    assert [(u["service_request_id"], u["status"]) for u in body] == [(number, "OPEN")]


# --- tokens ------------------------------------------------------------------------------------

TOKEN_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["service_request_id", "token"],
        "properties": {
            # The same rule as request.json's service_request_id.
            "service_request_id": {"$ref": "request.json#/properties/service_request_id"},
            "token": {"type": "string"},
        },
        "additionalProperties": False,
    },
}


def assert_token_body(body) -> None:
    documents = {p.name: json.loads(p.read_text()) for p in schemas_dir().glob("*.json")}
    registry: Registry = Registry().with_resources(
        (n, Resource.from_contents(d, default_specification=DRAFT4)) for n, d in documents.items()
    )
    errors = [e.message for e in Draft4Validator(TOKEN_SCHEMA, registry=registry).iter_errors(body)]
    assert errors == []


def test_a_posted_token_resolves_to_its_request_in_both_formats(client, api_key):
    posted = post(
        client, api_key, idempotency_key="device-42-report-7", **{"attribute[fully_dark]": "yes"}
    )
    assert posted.status_code == 201
    created = posted.json()[0]
    assert_valid(posted.json(), "requests.json")
    token = created["token"]
    assert token and "device-42-report-7" in token
    status, body = both(client, f"tokens/{token}", "service_requests")
    assert status == 200
    assert_token_body(body)
    assert body == [{"service_request_id": created["service_request_id"], "token": token}]


def test_a_client_may_ask_with_its_own_key_and_its_api_key(client, api_key):
    posted = post(client, api_key, idempotency_key="k-8", **{"attribute[fully_dark]": "yes"})
    number = posted.json()[0]["service_request_id"]
    response = client.get(f"{BASE}tokens/k-8.json", {"api_key": api_key})
    assert response.status_code == 200
    assert response.json() == [{"service_request_id": number, "token": "k-8"}]
    # Without the api_key the bare key is nobody's token.
    assert client.get(f"{BASE}tokens/k-8.json").status_code == 404


def test_another_clients_key_does_not_resolve(client, api_key):
    post(client, api_key, idempotency_key="k-9", **{"attribute[fully_dark]": "yes"})
    other, _token = api_token_issue(user=staff_user("open311-other"))
    response = client.get(f"{BASE}tokens/k-9.json", {"api_key": other})
    assert response.status_code == 404


def test_a_post_without_a_key_has_no_token(client, api_key):
    body = post(client, api_key, **{"attribute[fully_dark]": "yes"}).json()
    assert body[0]["token"] is None and body[0]["service_request_id"]


def test_an_api_idempotency_key_is_not_an_open311_token(client, street):
    make_case("0101", "SJ20261130000011", idempotency_key="staff-app-key")
    status, body = both(client, "tokens/staff-app-key", "errors")
    assert status == 404
    assert body[0]["code"] == 404 and "staff-app-key" in body[0]["description"]


@pytest.mark.parametrize("token", ["open311:1:nothing", "nothing"])
def test_an_unknown_token_is_the_specs_404(client, street, token):
    status, body = both(client, f"tokens/{token}", "errors")
    assert status == 404
    assert body[0]["code"] == 404 and token in body[0]["description"]


def test_tokens_answer_only_get(client, street):
    response = client.post(f"{BASE}tokens/abc.json")
    assert response.status_code == 405
    assert response.json()[0]["code"] == 405
