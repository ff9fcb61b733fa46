"""Case photos served to whoever may see the case, and to no one else.

The URL names the case and an HMAC of the storage key, never the key itself: the key (and so the
file under MEDIA_ROOT) stays unknown to the browser, and a token is only honoured for a key the
case holds (its photos or an event's attachments). A case the asker may not see, an unknown
token and a missing file all answer 404, like a missing case.
"""

from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.http import require_GET

from wangge.core.scope import request_actor

from ..attachments import photo_open, thumb_key
from ..selectors import case_get

KEY_DIGEST_SALT = "wangge.cases.photo"
DIGEST_LENGTH = 32


def photo_token(key: str) -> str:
    return salted_hmac(KEY_DIGEST_SALT, key, algorithm="sha256").hexdigest()[:DIGEST_LENGTH]


def photo_url(number: str, key: str, *, thumb: bool = False) -> str:
    url = reverse("cases_photo", args=[number, photo_token(key)])
    return f"{url}?size=thumb" if thumb else url


def case_photo_keys(case, timeline) -> list[str]:
    """Every photo key the case holds: its own, then each event's attachments."""
    keys = list(case.photos or [])
    for event in timeline:
        keys.extend(event.attachments or [])
    return list(dict.fromkeys(str(key) for key in keys))


@require_GET
def case_photo(request, number: str, token: str):
    # NotFound (404 page, audited as a denial) when the case is missing or out of scope.
    detail = case_get(actor=request_actor(request), number=number)
    key = next(
        (
            key
            for key in case_photo_keys(detail.case, detail.timeline)
            if constant_time_compare(photo_token(key), token)
        ),
        None,
    )
    if key is None:
        raise Http404
    name = thumb_key(key) if request.GET.get("size") == "thumb" else key
    try:
        handle = photo_open(name)
    except (FileNotFoundError, OSError):
        try:
            handle = photo_open(key)
        except (FileNotFoundError, OSError):
            raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    # The photo belongs to a case: a browser may keep it, a shared cache may not.
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response


urlpatterns = [
    path("<str:number>/photos/<str:token>/", case_photo, name="cases_photo"),
]
