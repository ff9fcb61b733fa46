"""我要爆料: residents report with photos and a pin; visitors only where anonymity is allowed;
every refusal re-renders the form with what was typed and creates nothing."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wangge.cases.models import Case
from wangge.cases.tests.factories import POINT_A1, POINT_OUTSIDE
from wangge.cases.tests.photos import upload
from wangge.portal.views.report import SESSION_REPORTED

from .conftest import resident_client

pytestmark = pytest.mark.django_db
STREET_LIGHT = "0101"  # seeded: 路灯, not anonymous, asks whether the lamp is fully dark
NOISE = "1405"  # seeded: 噪音扰民, anonymous allowed


def files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def form(category_code: str = STREET_LIGHT, **extra) -> dict:
    data = {
        "category_code": category_code,
        "description": "三号楼门口的路灯不亮",
        "lng": POINT_A1[0],
        "lat": POINT_A1[1],
        "address": "三苏社区3号楼",
        f"attr-{STREET_LIGHT}-fully_dark": "yes",
    }
    data.update(extra)
    return data


def test_a_resident_reports_a_street_light_with_a_photo(client, team, _media_and_index):
    resident_client(client, team.resident)
    page = client.get(reverse("portal_report"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'capture="environment"' in html and 'accept="image/*"' in html and "multiple" in html
    assert f'value="{STREET_LIGHT}"' in html
    response = client.post(reverse("portal_report"), form(photos=[upload()]))
    assert response.status_code == 302 and response["Location"] == reverse("portal_reported")
    case = Case.objects.get()
    assert (case.category.code, case.source, case.anonymous) == (STREET_LIGHT, "resident", False)
    assert case.reporter_id == team.resident.user.pk
    assert case.attributes == {"fully_dark": "yes"}
    assert case.title == "路灯" and case.address == "三苏社区3号楼"
    assert len(case.photos) == 1 and len(files(_media_and_index)) == 2
    done = client.get(reverse("portal_reported"))
    assert case.number in done.content.decode()
    assert f"{reverse('portal_follow')}?number={case.number}" in done.content.decode()


def test_a_double_tap_creates_one_case(client, team, _media_and_index):
    resident_client(client, team.resident)
    data = form(submission="a" * 32)
    client.post(reverse("portal_report"), {**data, "photos": [upload()]})
    client.post(reverse("portal_report"), {**data, "photos": [upload()]})
    assert Case.objects.count() == 1
    assert len(files(_media_and_index)) == 2


def test_a_visitor_sees_and_may_report_only_anonymous_categories(client, team):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = client.get(reverse("portal_report")).content.decode()
    assert f'value="{NOISE}"' in html and f'value="{STREET_LIGHT}"' not in html
    assert 'name="anonymous"' not in html
    response = client.post(reverse("portal_report"), form(NOISE))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.anonymous and case.reporter_id is None
    assert client.session[SESSION_REPORTED] == case.number


def test_a_visitor_may_not_report_a_category_without_anonymity(client, team):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(reverse("portal_report"), form(STREET_LIGHT))
    assert response.status_code == 422
    assert "Choose what the problem is from the list." in response.content.decode()
    assert not Case.objects.exists()


def test_a_resident_may_hide_their_name_only_where_allowed(client, team):
    resident_client(client, team.resident)
    response = client.post(reverse("portal_report"), form(STREET_LIGHT, anonymous="on"))
    assert response.status_code == 422
    html = response.content.decode()
    assert "may not be reported anonymously" in html
    # What was typed is kept.
    assert "三号楼门口的路灯不亮" in html and "三苏社区3号楼" in html
    assert f'value="{STREET_LIGHT}" data-anonymous="0" checked' in html
    assert not Case.objects.exists()
    response = client.post(reverse("portal_report"), form(NOISE, anonymous="on"))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.anonymous and case.reporter_id == team.resident.user.pk
    assert case.events.get(action="report").actor_id is None


def test_a_missing_pin_is_asked_for(client, team):
    resident_client(client, team.resident)
    response = client.post(reverse("portal_report"), form(lng="", lat=""))
    assert response.status_code == 422
    assert "Tap the map where the problem is" in response.content.decode()
    assert "data-place-error" in response.content.decode()
    assert not Case.objects.exists()


def test_a_place_outside_the_grids_is_refused_and_the_photos_removed(
    client, team, _media_and_index
):
    resident_client(client, team.resident)
    data = form(lng=POINT_OUTSIDE[0], lat=POINT_OUTSIDE[1], photos=[upload()])
    response = client.post(reverse("portal_report"), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert "data-place-error" in html and "lies in no grid" in html
    assert "data-photos-again" in html
    assert not Case.objects.exists() and files(_media_and_index) == []


def test_a_non_image_is_refused_beside_the_photos(client, team, _media_and_index):
    resident_client(client, team.resident)
    bad = SimpleUploadedFile("x.jpg", b"GIF89a not really", "image/jpeg")
    response = client.post(reverse("portal_report"), form(photos=[upload(), bad]))
    assert response.status_code == 422
    assert "Photo 2 is not a picture" in response.content.decode()
    assert not Case.objects.exists() and files(_media_and_index) == []


def test_a_required_question_of_the_category_is_asked_beside_it(client, team):
    resident_client(client, team.resident)
    response = client.post(
        reverse("portal_report"), form(**{f"attr-{STREET_LIGHT}-fully_dark": ""})
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Please answer this question." in html
    assert f'data-question="attr-{STREET_LIGHT}-fully_dark"' in html
    assert not Case.objects.exists()


def test_the_done_page_without_a_report_goes_home(client, team):
    response = client.get(reverse("portal_reported"))
    assert response.status_code == 302 and response["Location"] == reverse("portal_home")


def test_the_home_page_has_the_three_doors(client, team):
    html = client.get(reverse("portal_home")).content.decode()
    for door in ("report", "follow", "mine"):
        assert f'data-door="{door}"' in html
