"""Case photos: checked, cleaned (no EXIF/GPS), scaled, stored under unguessable keys, removed
again when the report fails, and served only to those who may see the case."""

import io
import re
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags, Image

from wangge.cases import attachments
from wangge.cases.attachments import (
    MAX_EDGE,
    photos_store,
    photos_stored,
    thumb_key,
)
from wangge.cases.intake import case_report
from wangge.cases.models import Case
from wangge.cases.services import case_accept
from wangge.cases.views.attachments import photo_token, photo_url
from wangge.core.errors import ValidationFailed
from wangge.orgs.grid_index import grid_index_reset

from .factories import POINT_A1, POINT_OUTSIDE, category, crew
from .photos import image_bytes, upload

pytestmark = pytest.mark.django_db
KEY = re.compile(r"^cases/\d{4}/\d{2}/[0-9a-f]{32}\.jpg$")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    grid_index_reset()
    yield tmp_path
    grid_index_reset()


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def open_stored(key: str) -> Image.Image:
    with default_storage.open(key, "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


# --- the upload service ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_photo_is_stored_as_jpeg_under_an_unguessable_key(fmt, _media):
    keys = photos_store([upload(data=image_bytes(fmt))])
    assert len(keys) == 1 and KEY.match(keys[0])
    image = open_stored(keys[0])
    assert image.format == "JPEG" and image.size == (40, 20)
    assert default_storage.exists(thumb_key(keys[0]))
    assert len(stored_files(_media)) == 2


def test_exif_and_gps_are_stripped_and_the_orientation_applied():
    raw = image_bytes(gps=True, orientation=6)
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    key = photos_store([upload(data=raw)])[0]
    with default_storage.open(key, "rb") as handle:
        data = handle.read()
    image = Image.open(io.BytesIO(data))
    assert dict(image.getexif()) == {}
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"PhoneMaker" not in data and b"Exif" not in data
    # Orientation 6 = rotated 90°: the stored picture stands upright.
    assert image.size == (20, 40)


def test_a_big_photo_is_scaled_down():
    key = photos_store([upload(data=image_bytes(size=(MAX_EDGE * 2, MAX_EDGE)))])[0]
    assert open_stored(key).size == (MAX_EDGE, MAX_EDGE // 2)
    assert max(open_stored(thumb_key(key)).size) == attachments.THUMB_EDGE


def test_a_non_image_is_refused_and_nothing_is_stored(english, _media):
    files = [
        upload(),
        SimpleUploadedFile("evil.jpg", b"<?php system($_GET['c']); ?>", "image/jpeg"),
    ]
    with pytest.raises(ValidationFailed) as caught:
        photos_store(files)
    assert caught.value.field == "photos" and caught.value.code == "not_an_image"
    assert "Photo 2" in str(caught.value.message)
    assert stored_files(_media) == []


def test_an_oversize_photo_is_refused(english, settings, _media):
    settings.WANGGE_PHOTO_MAX_BYTES = 1000
    big = upload(data=image_bytes("PNG", size=(300, 300)))
    assert (big.size or 0) > 1000
    with pytest.raises(ValidationFailed) as caught:
        photos_store([big])
    assert caught.value.field == "photos" and caught.value.code == "too_large"
    assert stored_files(_media) == []


def test_more_than_nine_photos_are_refused(english, _media):
    with pytest.raises(ValidationFailed) as caught:
        photos_store([upload() for _ in range(10)])
    assert caught.value.code == "too_many" and "9" in str(caught.value.message)
    assert stored_files(_media) == []


def test_an_empty_file_is_refused(english):
    with pytest.raises(ValidationFailed) as caught:
        photos_store([SimpleUploadedFile("empty.jpg", b"", "image/jpeg")])
    assert caught.value.code == "empty"


def test_the_files_are_removed_when_the_report_fails(_media):
    team = crew()
    category()
    with pytest.raises(ValidationFailed), photos_stored([upload(), upload()]) as keys:
        assert len(stored_files(_media)) == 4
        case_report(
            actor=team.resident,
            category_code="T0101",
            title="路灯不亮",
            lng=POINT_OUTSIDE[0],
            lat=POINT_OUTSIDE[1],
            source="resident",
            photos=keys,
        )
    assert stored_files(_media) == []
    assert not Case.objects.exists()


# --- serving ---------------------------------------------------------------------------------


@pytest.fixture
def reported(_media):
    team = crew()
    category()
    with photos_stored([upload()]) as keys:
        case = case_report(
            actor=team.resident,
            category_code="T0101",
            title="路灯不亮",
            lng=POINT_A1[0],
            lat=POINT_A1[1],
            source="resident",
            photos=keys,
        )
    return team, case, keys[0]


def test_the_photo_is_served_to_the_reporter_and_to_staff_in_scope(client, reported):
    team, case, key = reported
    for who in (team.resident, team.community_a, team.command):
        client.force_login(who.user)
        response = client.get(photo_url(case.number, key))
        assert response.status_code == 200, who
        assert response["Content-Type"] == "image/jpeg"
        assert "private" in response["Cache-Control"]
        assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (40, 20)
        thumb = client.get(photo_url(case.number, key, thumb=True))
        assert thumb.status_code == 200
        client.logout()


@pytest.mark.parametrize("who", ["resident2", "community_b", "dept2", None])
def test_the_photo_is_404_for_anyone_else(client, reported, who):
    team, case, key = reported
    if who:
        client.force_login(getattr(team, who).user)
    before = (Case.objects.get(pk=case.pk).version, default_storage.exists(key))
    response = client.get(photo_url(case.number, key))
    assert response.status_code == 404
    assert b"\xff\xd8" not in response.content
    assert (Case.objects.get(pk=case.pk).version, default_storage.exists(key)) == before


def test_a_key_of_another_case_is_not_served_through_this_case(client, reported):
    team, case, key = reported
    other = case_report(
        actor=team.community_a,
        category_code="T0101",
        title="另一盏灯",
        lng=POINT_A1[0],
        lat=POINT_A1[1],
        source="window",
    )
    client.force_login(team.community_a.user)
    assert client.get(photo_url(other.number, key)).status_code == 404
    assert client.get(reverse("cases_photo", args=[case.number, "0" * 32])).status_code == 404


def test_the_url_carries_no_storage_key(reported):
    _team, case, key = reported
    url = photo_url(case.number, key)
    assert key not in url and key.rsplit("/", 1)[1][:-4] not in url
    assert photo_token(key) in url


def test_the_staff_case_page_shows_thumbnails(client, reported):
    team, case, key = reported
    client.force_login(team.community_a.user)
    html = client.get(reverse("cases_case", args=[case.number])).content.decode()
    assert photo_url(case.number, key, thumb=True) in html
    assert key not in html


def test_event_attachments_are_served_too(client, reported):
    team, case, _key = reported
    case = case_accept(actor=team.community_a, number=case.number, version=case.version)
    event = case.events.order_by("-id").first()
    extra = photos_store([upload()])
    event.attachments = extra
    event.save(update_fields=["attachments"])
    client.force_login(team.resident.user)
    assert client.get(photo_url(case.number, extra[0])).status_code == 200


# --- the staff report form -------------------------------------------------------------------


def _report_form(**extra) -> dict:
    return {
        "category_code": "T0101",
        "title": "路灯不亮",
        "lng": POINT_A1[0],
        "lat": POINT_A1[1],
        **extra,
    }


def test_a_grid_worker_reports_with_photos(client, _media):
    team = crew()
    category()
    client.force_login(team.grid_worker.user)
    response = client.post(
        reverse("cases_report"), _report_form(photos=[upload(), upload(name="b.png")])
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert len(case.photos) == 2 and all(KEY.match(key) for key in case.photos)
    assert case.events.get(action="report").attachments == case.photos
    assert len(stored_files(_media)) == 4


def test_a_refused_staff_report_keeps_no_photos(client, _media):
    team = crew()
    category()
    client.force_login(team.grid_worker.user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    bad = SimpleUploadedFile("notes.jpg", b"plain text", "image/jpeg")
    response = client.post(reverse("cases_report"), _report_form(photos=[upload(), bad]))
    assert response.status_code == 422
    assert "is not a picture" in response.content.decode()
    # A place outside every grid: the photos were stored, then deleted with the refusal.
    response = client.post(
        reverse("cases_report"),
        _report_form(lng=POINT_OUTSIDE[0], lat=POINT_OUTSIDE[1], photos=[upload()]),
    )
    assert response.status_code == 422
    assert not Case.objects.exists()
    assert stored_files(_media) == []
