"""The timeline row every transition writes (who, when, from, to, note, attachments, detail)."""

from collections.abc import Iterable
from datetime import datetime

from django.utils.translation import gettext as _

from wangge.core.errors import ValidationFailed
from wangge.core.fast_insert import insert_row

from . import notify
from .models import Case, CaseEvent
from .stats import rollup

MAX_ATTACHMENTS = 9
MAX_NOTE = 2000


def clean_attachments(attachments: Iterable, field: str = "attachments") -> list[str]:
    """Storage keys of uploaded files (the upload itself is the page's or API's job)."""
    items = [str(item).strip() for item in attachments or () if str(item).strip()]
    if len(items) > MAX_ATTACHMENTS:
        raise ValidationFailed(
            _("At most %(count)s files may be attached.") % {"count": MAX_ATTACHMENTS},
            code="too_many",
            field=field,
        )
    if any(len(item) > 255 for item in items):
        raise ValidationFailed(
            _("A file reference may be at most 255 characters."), code="too_long", field=field
        )
    return items


def clean_note(note: str, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ValidationFailed(
            _("Give a note: this action needs a reason."), code="required", field="note"
        )
    if len(note) > MAX_NOTE:
        raise ValidationFailed(
            _("The note may be at most %(count)s characters.") % {"count": MAX_NOTE},
            code="too_long",
            field="note",
        )
    return note


def _user_of(actor):
    user = getattr(actor, "user", None)
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def record_event(
    case: Case,
    actor,
    action: str,
    *,
    at: datetime,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    attachments: list[str] | None = None,
    detail: dict | None = None,
    hide_actor: bool = False,
) -> CaseEvent:
    """`hide_actor`: an anonymous report keeps its reporter out of the timeline."""
    user = None if hide_actor else _user_of(actor)
    name = ""
    if user is not None:
        name = getattr(user, "display_name", "") or user.get_username()
    elif getattr(actor, "is_system", False) and not hide_actor:
        name = "system"
    event = CaseEvent(
        case=case,
        at=at,
        actor=user,
        actor_name=name[:150],
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
        attachments=attachments or [],
        detail=detail or {},
    )
    insert_row(event)  # the hot path of intake and every transition
    # Rollups and the notification outbox are written in the same transaction as the event,
    # so neither can miss a change nor count one that rolled back.
    rollup.on_event(case, event)
    notify.on_event(case, event)
    return event
