from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

urlpatterns: list = [
    # Placeholder until the staff home page lands (owned by the pages work).
    path("", login_required(lambda request: HttpResponse("home")), name="home"),
]
