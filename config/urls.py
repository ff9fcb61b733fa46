from django.conf import settings
from django.conf.urls.static import static
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("wangge.api.urls")),
    path("open311/v2/", include("wangge.api.open311.urls")),
    path("", include("wangge.core.urls")),
    path("", include("wangge.orgs.urls")),
    path("register/", include("wangge.registry.urls")),
    path("cases/", include("wangge.cases.urls")),
    path("portal/", include("wangge.portal.urls")),
    path("notifications/", include("wangge.notifications.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Under /api/ and /open311/ every error is JSON (or Open311's body); pages keep Django's pages,
# and a busy database is 503 with Retry-After everywhere.
handler400 = "wangge.api.errors.bad_request"
handler403 = "wangge.api.errors.permission_denied"
handler404 = "wangge.api.errors.page_not_found"
handler500 = "wangge.api.errors.server_error"
