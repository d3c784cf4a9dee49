"""The one logging configuration: the app's, Celery's and uvicorn's own lines.

In production every line is one JSON object (CloudWatch reads each as one
event, a traceback included); locally readable text. Django applies it at
start-up (``settings.LOGGING``); the container's web command also hands it to
uvicorn (``--log-config``), so uvicorn's own lines written before Django starts
(an app that fails to import) are in the same format. Nothing here imports
Django: the container writes this file before uvicorn starts.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl, urlencode

from pythonjsonlogger.core import RESERVED_ATTRS

LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Query parameters whose values never reach a log line (a token or a signature in
# a link would let anyone who reads the logs replay it).
SECRET_PARAMETER_PARTS = ("token", "key", "secret", "password", "signature", "code", "session")
REDACTED = "[redacted]"
# Record attributes that are not fields of a JSON line: python-json-logger's own
# list, and uvicorn's copy of each message with terminal colour codes.
NOT_FIELDS = [*RESERVED_ATTRS, "color_message", "taskName"]


def default_log_format(*, production: bool) -> str:
    return "json" if production else "text"


def _query_redact(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    shown = [
        (name, REDACTED if any(part in name.lower() for part in SECRET_PARAMETER_PARTS) else value)
        for name, value in pairs
    ]
    return urlencode(shown, safe="[]")


class AccessLogFields(logging.Filter):
    """uvicorn's access line as fields (``method``, ``path``, ``query``, ``status``,
    ``client``), secret-looking query values redacted from them and the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or len(args) != 5:
            return True  # not uvicorn's access line: left as it is
        client, method, full_path, http_version, status = args
        path, _, query = str(full_path).partition("?")
        query = _query_redact(query) if query else ""
        record.client = client
        record.method = method
        record.path = path
        record.query = query
        record.http_version = http_version
        record.status = status
        record.msg = "%s %s %s"
        record.args = (method, f"{path}?{query}" if query else path, status)
        return True


def logging_config(*, log_format: str, level: str, emf: bool) -> dict[str, Any]:
    """``logging.config.dictConfig`` input: app lines on stderr, uvicorn's access
    lines on stdout (as uvicorn writes them), EMF documents whole on stdout."""
    access_filters = ["request_id", "access_fields"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "frgm_site.request_id.RequestIdFilter"},
            "access_fields": {"()": "frgm_site.logging_config.AccessLogFields"},
        },
        "formatters": {
            "bare": {"format": "%(message)s"},
            "text": {
                "format": "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s",
            },
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                "reserved_attrs": NOT_FIELDS,
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id"],
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": access_filters,
                "stream": "ext://sys.stdout",
            },
            # EMF documents must be whole JSON lines for CloudWatch to read them.
            "emf": {
                "class": "logging.StreamHandler",
                "formatter": "bare",
                "stream": "ext://sys.stdout",
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "botocore": {"level": "WARNING"},
            "urllib3": {"level": "WARNING"},
            "axes": {"level": "WARNING"},  # its start-up banner would open every command
            # uvicorn's own: start-up, shutdown and errors ("uvicorn.error"), one line
            # per request ("uvicorn.access"); handlers of their own replace uvicorn's.
            "uvicorn": {"handlers": ["console"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["access"], "level": level, "propagate": False},
            "frgm.emf": {
                "handlers": ["emf"],
                # EMF lines feed CloudWatch in AWS; locally they only crowd the terminal.
                "level": "INFO" if emf else "WARNING",
                "propagate": False,
            },
        },
    }
