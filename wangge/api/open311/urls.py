"""Open311 GeoReport v2, mounted at /open311/v2/ (config/urls.py). Every resource ends in its
format; an unknown format reaches the view, which answers the specification's 404 body."""

from django.urls import re_path

from . import media, tokens, updates, views

app_name = "open311"

FMT = r"\.(?P<fmt>[A-Za-z0-9]+)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.services, name="services"),
    re_path(r"^services/(?P<code>[^/.]+)" + FMT, views.service_definition, name="service"),
    re_path(r"^requests" + FMT, views.requests, name="requests"),
    re_path(r"^requests/(?P<number>[^/.]+)" + FMT, views.request_detail, name="request"),
    re_path(r"^media/(?P<signed>[A-Za-z0-9_:\-]+)\.jpg$", media.media, name="media"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + FMT, tokens.token_detail, name="token"),
    # FixMyStreet's extension, so a client can follow updates.
    re_path(r"^servicerequestupdates" + FMT, updates.service_request_updates, name="updates"),
]
