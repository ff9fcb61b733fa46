"""Admin writes about key-population tags: define a tag, grant or revoke a sensitive tag.

Tags are shared by the whole deployment, so defining one takes an admin role anywhere (or the
system). A grant lets one user see one sensitive tag within their ordinary scope; it is given
by an admin of a unit where that user holds a role, like disabling the user.
"""

import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from wangge.core.errors import NotFound, PermissionDenied, ValidationFailed
from wangge.core.inputs import DB_INT_MAX
from wangge.core.models import User
from wangge.core.revisions import revision_bump
from wangge.core.scope import path_in_scope
from wangge.orgs.enums import Role
from wangge.orgs.models import RoleAssignment
from wangge.orgs.permissions import is_system

from .models import KeyPopulationTag, TagGrant
from .permissions import TAGS_REVISION, audit_register

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def _require_any_admin(actor) -> None:
    if not (is_system(actor) or actor.has_role(Role.ADMIN)):
        raise PermissionDenied(_("Only an admin may define key-population tags."), field="code")


@transaction.atomic
def key_population_tag_create(
    *, actor, code: str, name: str, sensitive: bool = False, has_grade: bool = False
) -> KeyPopulationTag:
    """An admin-defined tag (e.g. "新就业群体"); derived and built-in tags come from the code."""
    _require_any_admin(actor)
    code = (code or "").strip()
    name = (name or "").strip()
    if not CODE_RE.match(code):
        raise ValidationFailed(
            _("A tag code is 2-32 lower-case letters, digits or _, starting with a letter."),
            code="invalid",
            field="code",
        )
    if not name or len(name) > 32:
        raise ValidationFailed(
            _("A tag name has 1 to 32 characters."), code="invalid", field="name"
        )
    order = (
        KeyPopulationTag.objects.order_by("-sort_order")
        .values_list("sort_order", flat=True)
        .first()
        or 0
    ) + 10
    try:
        with transaction.atomic():
            tag = KeyPopulationTag.objects.create(
                code=code, name=name, sensitive=sensitive, has_grade=has_grade, sort_order=order
            )
    except IntegrityError:
        raise ValidationFailed(
            _("A tag with this code already exists."), code="duplicate", field="code"
        ) from None
    revision_bump(TAGS_REVISION)
    audit_register(
        actor,
        "registry.tag_create",
        object_type="tag",
        object_id=tag.id,
        detail={"code": code, "sensitive": sensitive},
    )
    return tag


def _grant_target(actor, user_id: int, tag_code: str) -> tuple[User, KeyPopulationTag]:
    if not 1 <= user_id <= DB_INT_MAX:
        user_id = 0  # no such user (and no query can overflow): NotFound like any unknown id
    user = User.objects.filter(pk=user_id, is_active=True).first()
    paths = list(
        RoleAssignment.objects.filter(user_id=user_id).values_list("org_unit__path", flat=True)
    )
    admin_paths = ("/",) if is_system(actor) else actor.paths(Role.ADMIN)
    if user is None or not any(path_in_scope(path, admin_paths) for path in paths):
        raise NotFound(_("User not found."), field="user", detail={"object_type": "user"})
    tag = KeyPopulationTag.objects.filter(code=tag_code, sensitive=True).first()
    if tag is None:
        raise ValidationFailed(
            _("Only a sensitive tag needs a grant; %(code)s is not one.") % {"code": tag_code},
            code="invalid",
            field="tag",
        )
    return user, tag


@transaction.atomic
def tag_grant_add(*, actor, user_id: int, tag_code: str) -> TagGrant:
    user, tag = _grant_target(actor, user_id, tag_code)
    grant, _created = TagGrant.objects.get_or_create(user=user, tag=tag)
    audit_register(
        actor,
        "registry.tag_grant",
        object_type="tag",
        object_id=tag.id,
        detail={"user": user.pk, "tag": tag.code},
    )
    return grant


@transaction.atomic
def tag_grant_revoke(*, actor, user_id: int, tag_code: str) -> bool:
    user, tag = _grant_target(actor, user_id, tag_code)
    deleted, _rows = TagGrant.objects.filter(user=user, tag=tag).delete()
    audit_register(
        actor,
        "registry.tag_revoke",
        object_type="tag",
        object_id=tag.id,
        detail={"user": user.pk, "tag": tag.code, "revoked": bool(deleted)},
    )
    return bool(deleted)
