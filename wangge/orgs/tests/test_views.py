import pytest

from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import PASSWORD, grid_worker, make_street, staff_user


@pytest.mark.django_db
def test_smoke(client):
    street = make_street()
    user = grid_worker(street)
    client.force_login(user)
    r = client.get("/")
    print(r.content.decode()[:6000])
    assert r.status_code == 200
    r = client.get("/map/")
    assert r.status_code == 200, r.content.decode()[:3000]
    print(r.content.decode()[-3000:])
