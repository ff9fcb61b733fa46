"""Case pages under /cases/."""

from django.urls import URLPattern

from .views import pages

urlpatterns: list[URLPattern] = [*pages.urlpatterns]
