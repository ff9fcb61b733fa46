"""The Content Security Policy: on every response, strict for scripts and styles, and no page
template that would need it loosened (inline script, inline style, event-handler attribute).

The browser sweep (tests/browser/test_csp_sweep.py) shows the policy holds on the rendered pages;
these tests are the fast guard.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from config.settings.base import tile_img_sources
from wangge.cases.views.map import STATE_COLOURS
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import login_as, make_street, staff_user

pytestmark = pytest.mark.django_db

WANGGE = Path(settings.BASE_DIR) / "wangge"
CONVERTER_VALUES = {"int": "999999", "str": "nothing-here"}


def _paths(resolver: URLResolver, prefix: str = "") -> list[str]:
    """Every route of the project with its converters filled by values that match nothing."""
    paths = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            paths.extend(_paths(entry, route))
        elif isinstance(entry, URLPattern):
            paths.append(
                "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: CONVERTER_VALUES[m[1] or "str"], route)
            )
    return paths


def _directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def _assert_strict(header: str | None, path: str) -> None:
    assert header, f"no Content-Security-Policy on {path}"
    directives = _directives(header)
    assert directives["script-src"] == ["'self'"], path
    assert directives["style-src"] == ["'self'"], path
    assert directives["object-src"] == ["'none'"], path
    assert directives["frame-ancestors"] == ["'none'"], path
    assert directives["connect-src"] == ["'self'"], path
    assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header, path


def test_every_route_answers_with_the_strict_policy(client):
    """Signed out and signed in, every route's answer carries the policy, whatever its status
    (pages, redirects to sign-in, 403, 404 for the unknown ids, 405, the API's JSON)."""
    paths = sorted(set(_paths(get_resolver())))
    assert "/cases/map/" in paths and "/portal/report/" in paths and "/register/import/" in paths
    street = make_street()
    statuses = set()
    for signed_in in (False, True):
        if signed_in:
            login_as(client, staff_user("cc", Role.COMMAND_CENTRE, street.street))
        for path in paths:
            response = client.get(path)
            statuses.add(response.status_code)
            _assert_strict(response.headers.get("Content-Security-Policy"), path)
    # The sweep really met pages and the refusals, not only one kind of answer.
    assert {200, 302, 404} <= statuses


def test_error_pages_carry_the_policy_too(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    _assert_strict(response.headers.get("Content-Security-Policy"), "/no/such/page/")


def test_img_src_allows_self_data_blob_and_the_tile_hosts_only():
    img_src = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]
    assert img_src[:3] == ["'self'", "data:", "blob:"]
    tiles = tile_img_sources(settings.WANGGE_TILE_URL, settings.WANGGE_TILE_SUBDOMAINS)
    assert img_src[3:] == tiles
    assert not {"*", "http:", "https:"} & set(img_src)


@pytest.mark.parametrize(
    ("url", "subdomains", "expected"),
    [
        ("", "", []),
        ("https://tiles.example.org:8443/{z}/{x}/{y}.png", "", ["https://tiles.example.org:8443"]),
        (
            "https://t{s}.tianditu.gov.cn/vec_w/wmts?tk={key}",
            "012",
            [
                "https://t0.tianditu.gov.cn",
                "https://t1.tianditu.gov.cn",
                "https://t2.tianditu.gov.cn",
            ],
        ),
        (
            "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png",
            "",
            [
                "https://a.tile.openstreetmap.org",
                "https://b.tile.openstreetmap.org",
                "https://c.tile.openstreetmap.org",
            ],
        ),
        ("https://{region}.tiles.example.com/{z}/{x}/{y}", "", ["https://*.tiles.example.com"]),
    ],
)
def test_tile_origins_for_img_src(url, subdomains, expected):
    assert tile_img_sources(url, subdomains) == expected


# What the policy refuses in a template: a <script> with a body (json_script writes type
# application/json, which is data, and comes from the filter, not the template), a <style>
# element, a style attribute, an on…= handler, a javascript: URL, and htmx's own script hooks.
FORBIDDEN = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "style element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "htmx script attribute": re.compile(r"\shx-on[:-]|\shx-vars\s*=|js:", re.I),
}


COMMENTS = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.S)


def test_no_template_needs_inline_script_or_style():
    templates = sorted(WANGGE.glob("**/templates/**/*.html"))
    assert len(templates) > 40
    found = [
        f"{path.relative_to(WANGGE)}: {what}"
        for path in templates
        for what, pattern in FORBIDDEN.items()
        if pattern.search(COMMENTS.sub("", path.read_text(encoding="utf-8")))
    ]
    assert not found, found


def test_the_template_scan_finds_what_it_forbids():
    samples = {
        "inline script": '<script>alert(1)</script><script src="/static/a.js"></script>',
        "style element": "<style>p{}</style>",
        "style attribute": '<span style="color: red">',
        "event handler attribute": '<img src=x onerror="go()">',
        "javascript: URL": '<a href="javascript:go()">',
        "htmx script attribute": '<button hx-on:click="go()">',
    }
    for what, sample in samples.items():
        assert FORBIDDEN[what].search(sample), what
    assert not FORBIDDEN["inline script"].search('<script src="/static/a.js" defer></script>')
    assert not any(p.search(COMMENTS.sub("", "{# <style> js: #}")) for p in FORBIDDEN.values())


def test_htmx_is_configured_to_neither_eval_nor_inject_styles(client):
    response = client.get("/login/")
    html = response.content.decode()
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert meta, "base.html must configure htmx"
    assert '"allowEval": false' in meta[1]
    assert '"allowScriptTags": false' in meta[1]
    assert '"includeIndicatorStyles": false' in meta[1]


def test_case_map_legend_colours_agree_with_the_marker_colours():
    """The legend dots moved from style attributes to classes in cases.css: same colours."""
    css = (WANGGE / "cases" / "static" / "wangge" / "cases.css").read_text(encoding="utf-8")
    for state, colour in STATE_COLOURS.items():
        assert f".case-dot-{state} {{ background: {colour}; }}" in css, state
