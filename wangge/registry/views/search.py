"""Register pages: search (one box, results as you type).

The box posts (htmx `hx-post`, with the CSRF token that base.html puts in `hx-headers`) rather
than getting: what is typed may be an ID number or a phone, and a GET would write it into the
query string, hence into access logs, proxies and the browser history. DESIGN: no personal data
in URLs. The page itself is a plain GET with nothing in its URL; without JavaScript the form
posts to the same address and the whole page comes back with the results.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from wangge.core.decorators import staff_role_required
from wangge.core.scope import request_actor

from ..search import MAX_LIMIT, person_search

MAX_QUERY_LENGTH = 64


def person_url(person_id: int) -> str:
    """The profile page of a person. Its view belongs to the register's pages module; until
    it is routed, the path it will have is built literally (the same path, never a query)."""
    try:
        return reverse("registry_person", args=[person_id])
    except NoReverseMatch:
        return f"/register/persons/{person_id}/"


@staff_role_required()
@require_http_methods(["GET", "POST"])
@never_cache
def search_page(request: HttpRequest) -> HttpResponse:
    query = ""
    results: list[dict] = []
    if request.method == "POST":
        query = request.POST.get("q", "")[:MAX_QUERY_LENGTH]
        results = person_search(actor=request_actor(request), q=query, limit=MAX_LIMIT)
        for row in results:
            row["url"] = person_url(row["id"])
    context = {"query": query, "results": results, "searched": bool(query.strip())}
    if request.headers.get("HX-Request"):
        response = render(request, "registry/_search_results.html", context)
    else:
        response = render(request, "registry/search.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


urlpatterns: list[URLPattern] = [path("search/", search_page, name="registry_search")]
