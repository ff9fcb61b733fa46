import pytest

from wangge.core.errors import NotFound, PermissionDenied, ValidationFailed
from wangge.orgs.actors import actor_for
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import admin_user, grid_worker, staff_user
from wangge.registry.models import KeyPopulationTag, TagGrant
from wangge.registry.permissions import visible_tags
from wangge.registry.tag_services import key_population_tag_create, tag_grant_add, tag_grant_revoke

pytestmark = pytest.mark.django_db


def test_an_admin_defines_a_tag_and_others_may_not(street):
    admin = actor_for(admin_user(street.street))
    tag = key_population_tag_create(actor=admin, code="new_employment", name="新就业群体")
    assert (tag.builtin, tag.sensitive, tag.derived) == (False, False, False)
    worker = actor_for(grid_worker(street))
    assert "new_employment" in visible_tags(worker).values()
    count = KeyPopulationTag.objects.count()
    with pytest.raises(PermissionDenied):
        key_population_tag_create(actor=worker, code="other", name="其他")
    for code, name, field in (
        ("Bad Code", "x", "code"),
        ("ok_code", "", "name"),
        ("new_employment", "重复", "code"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            key_population_tag_create(actor=admin, code=code, name=name)
        assert caught.value.field == field
    assert KeyPopulationTag.objects.count() == count


def test_grants_are_given_by_an_admin_of_the_users_area(street):
    worker_user = grid_worker(street)
    admin = actor_for(admin_user(street.community_a, "admin_a"))
    other_admin = actor_for(staff_user("admin_b", Role.ADMIN, street.community_b))
    with pytest.raises(NotFound):
        tag_grant_add(actor=other_admin, user_id=worker_user.pk, tag_code="disability")
    with pytest.raises(ValidationFailed):
        tag_grant_add(actor=admin, user_id=worker_user.pk, tag_code="veteran")
    assert not TagGrant.objects.exists()
    tag_grant_add(actor=admin, user_id=worker_user.pk, tag_code="disability")
    assert "disability" in visible_tags(actor_for(worker_user)).values()
    assert tag_grant_revoke(actor=admin, user_id=worker_user.pk, tag_code="disability")
    assert "disability" not in visible_tags(actor_for(worker_user)).values()
