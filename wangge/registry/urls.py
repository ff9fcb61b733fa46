"""Register pages under /register/. Each view module owns its routes."""

from django.urls import URLPattern

from .views import exports, imports, pages, search

urlpatterns: list[URLPattern] = [
    *exports.urlpatterns,
    *pages.urlpatterns,
    *search.urlpatterns,
    *imports.urlpatterns,
]
