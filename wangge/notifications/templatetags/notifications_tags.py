"""The inbox link with its unread count, for base.html (one indexed count per page)."""

from django import template

from wangge.core.scope import request_actor

from ..selectors import notification_unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return 0
    return notification_unread_count(actor=request_actor(request))
