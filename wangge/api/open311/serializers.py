"""Open311 GeoReport v2 rendering: one plain dict (or list) per answer, as JSON or as XML.

The views build the JSON shape of the specification; XML is derived from it, so the two formats
cannot disagree. In XML a list becomes a wrapper element whose children are named by
LIST_ITEMS (`<services><service>…`), booleans are `true`/`false` and a null is an empty
element. Characters XML 1.0 forbids are dropped from text, so the document is always well-formed.
"""

import json
import re
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

# Wrapper element → the name of each item inside it, as the specification's XML examples have.
LIST_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}


# What XML 1.0 cannot carry at all, not even escaped: C0 controls but tab, newline and carriage
# return; lone surrogates; U+FFFE and U+FFFF. A resident's pasted text may hold any of them.
NOT_XML_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return NOT_XML_CHARACTERS.sub("", text)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return xml_safe(str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        child = LIST_ITEMS.get(element.tag, "item")
        for item in value:
            _fill(ET.SubElement(element, child), item)
    else:
        element.text = _text(value)


def to_xml(root: str, data: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, data)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def render(data: Any, fmt: str, *, root: str, status: int = 200) -> HttpResponse:
    """`root` names the XML document element (`services`, `service_requests`, …)."""
    if fmt == "xml":
        body = to_xml(root, data)
    else:
        # A lone surrogate (possible in SQLite text) cannot be UTF-8: it becomes "?".
        body = json.dumps(data, ensure_ascii=False).encode("utf-8", "replace")
    return HttpResponse(body, status=status, content_type=FORMATS[fmt])


def render_error(status: int, description: str, fmt: str = "json") -> HttpResponse:
    """The specification's error body: [{"code": 404, "description": "…"}]."""
    if fmt not in FORMATS:
        fmt = "json"
    return render([{"code": status, "description": description}], fmt, root="errors", status=status)


def unknown_format(fmt: str) -> HttpResponse | None:
    """The 404 for a format other than json and xml (None when the format is offered)."""
    if fmt in FORMATS:
        return None
    return render_error(
        404, _("Format %(format)s is not offered: use json or xml.") % {"format": fmt}
    )


def wrong_method(request: HttpRequest, fmt: str) -> HttpResponse:
    return render_error(
        405, _("Method %(method)s is not allowed here.") % {"method": request.method}, fmt
    )
