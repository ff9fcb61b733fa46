"""Open311 `media_url`: a signed, expiring link to the public derivative of a case's photo.

The link never carries the storage key. It signs the case number and the photo's HMAC token
(the one the staff photo view uses) with a timestamp; the view checks the signature and its age
(WANGGE_OPEN311_MEDIA_SECONDS), that the case is still public, and serves the photo's thumbnail:
re-encoded on upload, without EXIF or GPS, at most 320 pixels. Cases of sensitive categories and
anonymous reports (whose photo may show where the reporter stands) have no media_url at all.
"""

from django.conf import settings
from django.core import signing
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wangge.cases.attachments import photo_open, thumb_key
from wangge.cases.models import Case
from wangge.cases.views.attachments import photo_token

from .selectors import category_is_public, open311_request
from .serializers import render_error

SALT = "wangge.open311.media"


def _max_age() -> int:
    return int(settings.WANGGE_OPEN311_MEDIA_SECONDS)


def media_shown(case: Case) -> bool:
    return category_is_public(case.category) and not case.anonymous and bool(case.photos)


def media_url(request: HttpRequest, case: Case) -> str | None:
    if not media_shown(case):
        return None
    key = str(case.photos[0])
    signed = signing.dumps({"n": case.number, "p": photo_token(key)}, salt=SALT)
    return request.build_absolute_uri(reverse("open311:media", kwargs={"signed": signed}))


def _not_found() -> HttpResponse:
    return render_error(404, _("media: this link is not valid or has expired."), "json")


@require_GET
def media(request: HttpRequest, signed: str) -> HttpResponseBase:
    try:
        claim = signing.loads(signed, salt=SALT, max_age=_max_age())
    except signing.BadSignature:  # also SignatureExpired
        return _not_found()
    if not isinstance(claim, dict):
        return _not_found()
    case = open311_request(str(claim.get("n", "")))
    if case is None or not media_shown(case):
        return _not_found()
    wanted = str(claim.get("p", ""))
    key = next(
        (str(k) for k in case.photos if constant_time_compare(photo_token(str(k)), wanted)), None
    )
    if key is None:
        return _not_found()
    try:
        handle = photo_open(thumb_key(key))
    except OSError:  # FileNotFoundError included: the file is gone
        return _not_found()
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = f"public, max-age={_max_age()}"
    response["Content-Disposition"] = "inline"
    return response
