import pytest

from wangge.cases import services as s
from wangge.cases.models import Case
from wangge.cases.tests.factories import crew
from wangge.core.models import AccountKind, User
from wangge.orgs.actors import actor_for
from wangge.orgs.grid_index import grid_index_reset


@pytest.fixture(autouse=True)
def _media_and_index(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    grid_index_reset()
    yield tmp_path
    grid_index_reset()


@pytest.fixture
def team(db):
    result = crew()
    user = result.resident.user
    assert isinstance(user, User)
    User.objects.filter(username=user.username).update(display_name="张阿姨")
    return result


def resident_client(client, actor):
    client.force_login(actor.user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def new_resident(username: str):
    user = User.objects.create_user(
        username=username, password="Resident-2026", kind=AccountKind.RESIDENT
    )
    return actor_for(user)


def closed(team, case: Case) -> Case:
    """Through the whole loop: accepted, sent to the street's department, handled, verified,
    closed."""
    case = s.case_accept(actor=team.community_a, number=case.number, version=case.version)
    case = s.case_escalate(
        actor=team.community_a, number=case.number, version=case.version, note="需要街道协调"
    )
    case = s.case_dispatch(
        actor=team.command,
        number=case.number,
        version=case.version,
        unit_code=team.street.department.code,
    )
    case = s.case_start(actor=team.dept, number=case.number, version=case.version)
    case = s.case_handle(
        actor=team.dept, number=case.number, version=case.version, note="灯泡已更换"
    )
    case = s.case_verify(actor=team.grid_worker, number=case.number, version=case.version)
    return s.case_close(actor=team.community_a, number=case.number, version=case.version)
