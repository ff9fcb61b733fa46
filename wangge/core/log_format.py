"""JSON log lines for production: one object per line, for journald, Loki or any log shipper.

Fields: time (UTC, ISO 8601), level, logger, message, and for a request log the method, path
and status when Django attaches the request. Exceptions come as one `exc` string. Only the
path, never the query string: a search query may hold a name or a phone number.
"""

import json
import logging
from datetime import UTC, datetime

_REQUEST_FIELDS = ("status_code",)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            entry["method"] = getattr(request, "method", "")
            entry["path"] = request.path
        for name in _REQUEST_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
