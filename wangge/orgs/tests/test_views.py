"""Staff pages through Django's test client: who sees what, status codes, scope, query counts."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from wangge.core.models import AccountKind, User
from wangge.core.scope import Actor
from wangge.core.twofactor import totp_device_create
from wangge.orgs.enums import OrgUnitKind, Role
from wangge.orgs.models import OrgUnit
from wangge.orgs.tests.factories import box, grid_worker, make_street, org_unit, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def street():
    return make_street()


def sign_in(client, user, *, verified: bool = False) -> None:
    """force_login, plus the TOTP step's mark on the session when `verified`."""
    client.force_login(user)
    if verified:
        totp_device_create(actor=Actor.system(), user=user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
        session.save()


def map_data(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="map-data" type="application/json">') + len(
        '<script id="map-data" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def map_config(response) -> dict:
    html = response.content.decode()
    marker = '<script id="map-config" type="application/json">'
    start = html.index(marker) + len(marker)
    return json.loads(html[start : html.index("</script>", start)])


# --- home ---------------------------------------------------------------------------------------

ROLE_UNITS = {
    Role.GRID_WORKER: ("grid_a1", "home-grids"),
    Role.GRID_LEADER: ("grid_a1", "home-grids"),
    Role.COMMUNITY_STAFF: ("community_a", "home-community"),
    Role.CLERK: ("street", "home-service"),
    Role.HANDLER: ("street", "home-service"),
    Role.DEPARTMENT_STAFF: ("department", "home-service"),
    Role.COMMAND_CENTRE: ("street", "home-street"),
    Role.SUPERVISOR: ("street", "home-street"),
    Role.ASSESSOR: ("street", "home-street"),
    Role.ADMIN: ("street", "home-admin"),
    Role.AUDITOR: ("street", "home-auditor"),
}


def test_every_role_is_covered_by_a_home_section():
    assert set(ROLE_UNITS) == set(Role)


@pytest.mark.parametrize("role", list(ROLE_UNITS))
def test_home_shows_the_section_of_each_role(client, street, role):
    unit_attr, section_id = ROLE_UNITS[role]
    user = staff_user(f"u_{role}", role, getattr(street, unit_attr))
    sign_in(client, user, verified=role in (Role.ADMIN, Role.AUDITOR))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="{section_id}"' in html
    # Exactly one section: the others belong to roles this user does not hold.
    assert sum(f'id="{other}"' in html for other in {s for _u, s in ROLE_UNITS.values()}) == 1


def test_grid_worker_home_shows_own_grid_card_only(client, street):
    worker = grid_worker(street)
    sign_in(client, worker)
    html = client.get(reverse("home")).content.decode()
    assert street.grid_a1.name in html
    assert "13800138001" in html
    for other in (street.grid_a2, street.grid_b1, street.community_b):
        assert other.name not in html


def test_community_staff_sees_their_communitys_grids_not_the_other(client, street):
    user = staff_user("cs", Role.COMMUNITY_STAFF, street.community_a)
    grid_worker(street)  # on grid A1: listed with the phone
    sign_in(client, user)
    html = client.get(reverse("home")).content.decode()
    assert street.grid_a1.name in html and street.grid_a2.name in html
    assert "13800138001" in html
    assert street.grid_b1.name not in html


def test_service_roles_say_honestly_that_queues_come_later(client, street):
    user = staff_user("clerk", Role.CLERK, street.street)
    sign_in(client, user)
    html = client.get(reverse("home")).content.decode()
    assert street.street.name in html
    assert 'data-notice="queues-later"' in html


def test_admin_home_lists_tree_coverage_and_editor(client, street):
    admin = staff_user("adm", Role.ADMIN, street.street)
    sign_in(client, admin, verified=True)
    html = client.get(reverse("home")).content.decode()
    assert reverse("orgs_map_edit") in html
    assert street.community_b.name in html and street.grid_b2.name in html
    assert "coverage-table" in html


def test_admin_whose_session_skipped_the_code_is_sent_to_it(client, street):
    admin = staff_user("adm", Role.ADMIN, street.street)
    totp_device_create(actor=Actor.system(), user=admin)
    client.force_login(admin)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login_totp"))


def test_resident_gets_a_minimal_home_and_no_staff_pages(client, street):
    resident = User.objects.create_user(username="r1", password="x", kind=AccountKind.RESIDENT)
    sign_in(client, resident)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert street.grid_a1.name not in response.content.decode()
    assert client.get(reverse("orgs_map")).status_code == 404
    assert client.get(reverse("orgs_grid_card", args=[street.grid_a1.code])).status_code == 404


def test_staff_without_roles_is_told_so(client, street):
    sign_in(client, staff_user("nobody"))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert 'data-notice="no-role"' in response.content.decode()


def test_anonymous_is_sent_to_sign_in(client):
    for name in ("home", "orgs_map", "orgs_map_edit"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# --- grid card ----------------------------------------------------------------------------------


def test_grid_card_in_scope_and_404_outside(client, street):
    sign_in(client, grid_worker(street))
    own = client.get(reverse("orgs_grid_card", args=[street.grid_a1.code]))
    assert own.status_code == 200
    assert street.grid_a1.name in own.content.decode()

    for code in (street.grid_b1.code, street.grid_a2.code, "511402001009999"):
        response = client.get(reverse("orgs_grid_card", args=[code]))
        assert response.status_code == 404
        html = response.content.decode()
        # The 404 page says nothing about what exists: no name, and no code beyond the URL.
        main = html[html.index("<main") : html.index("</main>")]
        assert street.grid_b1.name not in html
        assert code not in main


def test_grid_card_partial_for_the_map(client, street):
    sign_in(client, grid_worker(street))
    response = client.get(
        reverse("orgs_grid_card", args=[street.grid_a1.code]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'class="card grid-card"' in html
    assert "HX-Request" in response["Vary"]


def test_a_unit_that_is_not_a_grid_has_no_card(client, street):
    sign_in(client, staff_user("cc", Role.COMMAND_CENTRE, street.street))
    response = client.get(reverse("orgs_grid_card", args=[street.community_a.code]))
    assert response.status_code == 404


# --- map and editor ------------------------------------------------------------------------------


def test_map_shows_only_the_actors_units(client, street):
    sign_in(client, staff_user("cs", Role.COMMUNITY_STAFF, street.community_b))
    response = client.get(reverse("orgs_map"))
    assert response.status_code == 200
    codes = {f["properties"]["code"] for f in map_data(response)["features"]}
    assert codes == {street.community_b.code, street.grid_b1.code, street.grid_b2.code}
    html = response.content.decode()
    assert "grid_editor.js" not in html and reverse("orgs_map_edit") not in html


def test_map_focus_only_accepts_units_in_scope(client, street):
    sign_in(client, grid_worker(street))
    inside = map_config(client.get(reverse("orgs_map"), {"focus": street.grid_a1.code}))
    outside = map_config(client.get(reverse("orgs_map"), {"focus": street.grid_b1.code}))
    assert inside["focus"] == street.grid_a1.code
    assert outside["focus"] is None


def test_map_without_tiles_has_no_tile_layer(client, street, settings):
    settings.WANGGE_TILE_URL = ""
    sign_in(client, grid_worker(street))
    assert map_config(client.get(reverse("orgs_map")))["tile"] is None


def test_map_tiles_from_settings_with_the_key_filled_in(client, street, settings):
    settings.WANGGE_TILE_URL = "https://t{s}.example.cn/{z}/{x}/{y}.png?tk={key}"
    settings.WANGGE_TILE_KEY = "abc123"
    settings.WANGGE_TILE_ATTRIBUTION = "© Example"
    settings.WANGGE_TILE_SUBDOMAINS = "01234567"
    sign_in(client, grid_worker(street))
    tile = map_config(client.get(reverse("orgs_map")))["tile"]
    assert tile == {
        "url": "https://t{s}.example.cn/{z}/{x}/{y}.png?tk=abc123",
        "attribution": "© Example",
        "subdomains": "01234567",
    }


def test_editor_is_for_admins_only(client, street):
    for role, unit in (
        (Role.COMMUNITY_STAFF, street.community_a),
        (Role.COMMAND_CENTRE, street.street),
        (Role.GRID_WORKER, street.grid_a1),
    ):
        client.logout()
        sign_in(client, staff_user(f"u_{role}", role, unit))
        response = client.get(reverse("orgs_map_edit"))
        assert response.status_code == 404
        assert "grid_editor.js" not in response.content.decode()


def test_editor_offers_the_admins_communities(client, street):
    sign_in(client, staff_user("adm", Role.ADMIN, street.community_a), verified=True)
    response = client.get(reverse("orgs_map_edit"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "grid_editor.js" in html and "leaflet-geoman" in html
    assert f'<option value="{street.community_a.code}"' in html
    assert f'<option value="{street.community_b.code}"' not in html
    assert map_config(response)["editable"] is True


# --- navigation and language ----------------------------------------------------------------


def test_navigation_follows_roles(client, street):
    sign_in(client, grid_worker(street))
    html = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("orgs_map")}"' in html
    for name in ("orgs_map_edit", "calendar", "users", "lockouts"):
        assert f'href="{reverse(name)}"' not in html

    client.logout()
    sign_in(client, staff_user("adm", Role.ADMIN, street.street), verified=True)
    html = client.get(reverse("home")).content.decode()
    for name in ("orgs_map_edit", "calendar", "users", "lockouts"):
        assert f'href="{reverse(name)}"' in html
    assert f'href="{reverse("audit")}"' not in html
    assert 'action="/logout/"' in html

    client.logout()
    sign_in(client, staff_user("aud", Role.AUDITOR, street.street), verified=True)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("audit")}"' in html
    assert f'href="{reverse("orgs_map_edit")}"' not in html


def test_language_switch_changes_the_page_language(client, street):
    sign_in(client, grid_worker(street))
    assert 'lang="zh-hans"' in client.get(reverse("home")).content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert 'lang="en"' in client.get(reverse("home")).content.decode()


# --- query counts -----------------------------------------------------------------------------


def add_grids(street, count: int) -> None:
    """More grids (each with a worker) in community B's west half, to show counts stay flat."""
    community = street.community_b
    for i in range(count):
        west = 104.02 + i * 0.001
        grid = org_unit(
            f"{community.code}{100 + i}",
            f"加密网格{i}",
            OrgUnitKind.GRID,
            community,
            box(west, 30.50, west + 0.001, 30.501),
        )
        staff_user(f"gw_extra_{i}", Role.GRID_WORKER, grid, work_phone=f"1390000{i:04d}")


@pytest.mark.parametrize(
    "role, unit_attr",
    [
        (Role.COMMAND_CENTRE, "street"),
        (Role.COMMUNITY_STAFF, "community_b"),
        (Role.ADMIN, "street"),
    ],
)
def test_home_and_map_queries_do_not_grow_with_grids(
    client, street, role, unit_attr, django_assert_max_num_queries
):
    sign_in(client, staff_user("u", role, getattr(street, unit_attr)), verified=role == Role.ADMIN)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    for url in ("/", "/map/"):
        count(url)  # warm the process caches (tags, grid cards) so both rounds compare alike
    before = {url: count(url) for url in ("/", "/map/")}
    add_grids(street, 8)
    after = {url: count(url) for url in ("/", "/map/")}
    assert after == before
    with django_assert_max_num_queries(17):
        client.get("/")
    with django_assert_max_num_queries(17):
        client.get("/map/")


def test_non_admin_is_refused_by_the_api_the_editor_saves_to(client, street):
    sign_in(client, staff_user("cs", Role.COMMUNITY_STAFF, street.community_a))
    before = OrgUnit.objects.get(code=street.grid_a1.code)
    response = client.patch(
        f"/api/v1/orgs/{street.grid_a1.code}",
        data=json.dumps({"version": 1, "boundary": box(104.0, 30.5, 104.005, 30.52)}),
        content_type="application/json",
    )
    assert response.status_code == 403
    after = OrgUnit.objects.get(code=street.grid_a1.code)
    assert (after.version, after.boundary) == (before.version, before.boundary)
