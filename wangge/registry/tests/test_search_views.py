"""The search page: who may use it, htmx partial, POST only for the query (no data in URLs)."""

import pytest
from django.urls import reverse

from wangge.core.models import AccountKind, User
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import staff_user
from wangge.registry.tests.factories import make_person
from wangge.registry.views.search import person_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def zhang(street):
    from wangge.registry.identity import id_check_char

    number = "51149919800517123" + id_check_char("51149919800517123")
    return make_person("张三丰", grid=street.grid_a1, id_number=number, phone="13812345678")


def search(client, q: str, *, htmx: bool = True):
    # Pages pick their language per request (LocaleMiddleware): ask for English wording.
    headers = {"Accept-Language": "en", **({"HX-Request": "true"} if htmx else {})}
    return client.post(reverse("registry_search"), {"q": q}, headers=headers)


def test_page_renders_an_empty_box_with_htmx_post(client, street):
    client.force_login(staff_user("gw", Role.GRID_WORKER, street.grid_a1))
    response = client.get(reverse("registry_search"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'hx-post="/register/search/"' in body
    assert "keyup changed delay:250ms" in body
    assert "hx-get" not in body
    assert 'name="csrfmiddlewaretoken"' in body


def test_htmx_search_returns_the_partial_with_masked_values(client, street, zhang):
    client.force_login(staff_user("gw", Role.GRID_WORKER, street.grid_a1))
    response = search(client, "zsf")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert "张三丰" in body
    assert f'href="{person_url(zhang.id)}"' in body
    assert "138****5678" in body
    assert "13812345678" not in body
    assert "51149919800517123" not in body


def test_full_page_post_without_javascript(client, street, zhang):
    client.force_login(staff_user("gw", Role.GRID_WORKER, street.grid_a1))
    response = search(client, "5678", htmx=False)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" in body and "张三丰" in body


def test_result_links_hold_only_the_person_id(client, street, zhang):
    assert person_url(zhang.id) == f"/register/persons/{zhang.id}/"


def test_csrf_is_enforced_on_the_search_post(street, zhang):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user("gw", Role.GRID_WORKER, street.grid_a1))
    assert search(client, "zsf").status_code == 403


def test_other_communitys_grid_worker_finds_nothing(client, street, zhang):
    client.force_login(staff_user("gw_b", Role.GRID_WORKER, street.grid_b1))
    response = search(client, "张三丰")
    assert response.status_code == 200
    body = response.content.decode()
    assert "张三丰" not in body
    assert "No person in your scope matches." in body


def test_street_staff_find_the_person(client, street, zhang):
    client.force_login(staff_user("cc", Role.COMMAND_CENTRE, street.street))
    assert "张三丰" in search(client, "张三丰").content.decode()


def test_anonymous_is_sent_to_sign_in(client, street, zhang):
    response = client.get(reverse("registry_search"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    response = search(client, "张三丰")
    assert response.status_code == 302
    assert "张三丰" not in response["Location"]


def test_resident_and_roleless_staff_get_404(client, street, zhang):
    resident = User.objects.create_user(
        username="resident", password="x-Resident-2026", kind=AccountKind.RESIDENT
    )
    for user in (resident, staff_user("norole")):
        client.force_login(user)
        assert client.get(reverse("registry_search")).status_code == 404
        response = search(client, "张三丰")
        assert response.status_code == 404
        assert "张三丰" not in response.content.decode()


def test_other_methods_are_refused(client, street):
    client.force_login(staff_user("gw", Role.GRID_WORKER, street.grid_a1))
    assert client.put(reverse("registry_search")).status_code == 405
