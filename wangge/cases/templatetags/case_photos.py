"""`{% case_photo_url number key %}` and `{% case_photo_url number key "thumb" %}`: the guarded
URL of a case photo (the storage key never reaches the page)."""

from django import template

from ..views.attachments import photo_url

register = template.Library()


@register.simple_tag
def case_photo_url(number: str, key: str, size: str = "") -> str:
    return photo_url(number, key, thumb=size == "thumb")
