"""JSON log lines: one object per record, with the call site's fields and the traceback."""

from __future__ import annotations

import json
import logging
import sys

from hookline.logs import JsonFormatter, configure_logging


def record(**extra: object) -> logging.LogRecord:
    logger = logging.getLogger("hookline.delivery.worker")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        return logger.makeRecord(
            logger.name,
            logging.ERROR,
            __file__,
            1,
            "sending %s failed",
            ("wh_1",),
            sys.exc_info(),
            extra=extra,
        )


def test_a_json_line_has_the_message_the_fields_and_the_traceback() -> None:
    line = json.loads(JsonFormatter().format(record(webhook_id="wh_1", registration_id="reg_1")))
    assert line["level"] == "ERROR"
    assert line["logger"] == "hookline.delivery.worker"
    assert line["message"] == "sending wh_1 failed"
    assert (line["webhook_id"], line["registration_id"]) == ("wh_1", "reg_1")
    assert "RuntimeError: boom" in line["exception"]
    assert line["time"].endswith("+00:00")
    assert not {"args", "msg", "exc_info", "levelno", "pathname"} & set(line)  # no LogRecord internals


def test_a_line_is_one_line_whatever_the_message_holds() -> None:
    text = JsonFormatter().format(logging.makeLogRecord({"msg": "two\nlines", "levelname": "INFO"}))
    assert "\n" not in text
    assert json.loads(text)["message"] == "two\nlines"


def test_debug_is_for_hookline_only() -> None:
    root, ours = logging.getLogger(), logging.getLogger("hookline")
    saved = (list(root.handlers), root.level, ours.level)
    try:
        configure_logging("json", "DEBUG")
        assert logging.getLogger("hookline.delivery.dispatch").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)
        assert isinstance(root.handlers[0].formatter, JsonFormatter)
        configure_logging("text", "WARNING")
        assert not ours.isEnabledFor(logging.INFO)
        assert not isinstance(root.handlers[0].formatter, JsonFormatter)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])  # setLevel, not assignment: it clears the loggers' level caches
        ours.setLevel(saved[2])
