"""Notification pages under /notifications/."""

from .views import urlpatterns

__all__ = ["urlpatterns"]
