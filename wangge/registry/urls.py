"""Register pages under /register/. Each view module owns its routes."""

from django.urls import URLPattern

from .views import imports, pages, search

urlpatterns: list[URLPattern] = [*pages.urlpatterns, *search.urlpatterns, *imports.urlpatterns]
