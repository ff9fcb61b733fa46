"""File downloads that pages and the API share."""

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_download(content: bytes, file_name: str) -> HttpResponse:
    """An xlsx attachment. Never cached: exports and error workbooks hold personal data."""
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response["Cache-Control"] = "no-store"
    return response
