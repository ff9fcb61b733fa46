"""The project's URLs plus views that raise each service error, for the error middleware tests."""

from django.urls import path

from config.urls import urlpatterns as project_urlpatterns
from wangge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


def raiser(error):
    def view(request):
        raise error

    return view


urlpatterns = [
    path(
        "test-errors/not-found/",
        raiser(NotFound("person not found", detail={"object_type": "person", "object_id": 42})),
        name="t404",
    ),
    path("test-errors/denied/", raiser(PermissionDenied("no")), name="t403"),
    path("test-errors/conflict/", raiser(Conflict("Someone saved a newer version.")), name="t409"),
    path(
        "test-errors/invalid/",
        raiser(ValidationFailed("Name is required.", field="name")),
        name="t422",
    ),
    *project_urlpatterns,
]
