"""Register pages under /register/. Each view module owns its routes."""

from django.urls import URLPattern

from .views import edits, exports, imports, pages, privacy, search, transfers

urlpatterns: list[URLPattern] = [
    *exports.urlpatterns,
    *privacy.urlpatterns,
    *pages.urlpatterns,
    *search.urlpatterns,
    *imports.urlpatterns,
    *edits.urlpatterns,
    *transfers.urlpatterns,
]
