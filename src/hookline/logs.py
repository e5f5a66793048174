"""Log output: text lines for people (the default) or one JSON object per line for log
pipelines (`HOOKLINE_LOG_FORMAT=json`).

A JSON line carries `time`, `level`, `logger`, `message`, every field the call site passed as
`extra` (delivery lines name `webhook_id`, `registration_id`, `organization_id` and
`attempt_number`; uvicorn's access lines `client`, `method`, `path` and `status`), and
`exception` with the traceback when there is one. Call sites pass ids
and outcomes only: no header, body, credential or secret is ever handed to a logger.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message", "taskName"}
"""LogRecord attributes that are not a call site's `extra` (uvicorn adds `color_message`)."""


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= {name: value for name, value in vars(record).items() if name not in _STANDARD}
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, _, status = record.args  # uvicorn's access-line arguments
            entry |= {"client": client, "method": method, "path": path, "status": status}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(log_format: str, level: str) -> None:
    """Send every logger's records (uvicorn's too, when it is told not to configure its own)
    to standard error in `log_format`, hookline's from `level` up. Libraries stay at INFO even
    when `level` is DEBUG: their debug lines (a database driver's, per statement) would drown
    hookline's."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(logging.getLevelNamesMapping()[level], logging.INFO))
    logging.getLogger("hookline").setLevel(level)
