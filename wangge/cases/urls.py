"""Case pages under /cases/."""

from django.urls import URLPattern, path

from .views import attachments, pages, sponsor_lists, stats
from .views.map import case_map_page

urlpatterns: list[URLPattern] = [
    path("map/", case_map_page, name="cases_map"),
    *stats.urlpatterns,
    # Before the case pages, whose <number>/ would take the word for a case number.
    *sponsor_lists.urlpatterns,
    *pages.urlpatterns,
    *attachments.urlpatterns,
]
