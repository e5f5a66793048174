"""OpenTelemetry traces of publish, fan-out and every delivery attempt, over OTLP/HTTP.

Tracing is on when the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or its `_TRACES_` variant) is
set and `OTEL_SDK_DISABLED` is not `true`; the SDK reads the other `OTEL_*` variables itself
(headers, timeout, compression, `OTEL_BSP_*` batching, `OTEL_SERVICE_NAME`, sampling, ...).
Unset, the SDK is not even imported: no span is made, nothing is buffered or exported, and a
publisher's `traceparent` is handed on to the deliveries as it came.

A trace crosses processes and hours: the fan-out stores the `traceparent` to continue with the
event (`domain_events.traceparent`), and each attempt, whichever worker makes it, is a child of
that span and sends its own span's `traceparent` to the target.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from opentelemetry.trace import INVALID_SPAN, NoOpTracer, Span, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes

from hookline import __version__

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

_PROPAGATOR = TraceContextTextMapPropagator()
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


class Tracing:
    """The process's tracer, or nothing at all when tracing is off."""

    def __init__(self, provider: TracerProvider | None = None) -> None:
        self._provider = provider
        self.enabled = provider is not None
        self._tracer: Tracer = provider.get_tracer("hookline", __version__) if provider else NoOpTracer()

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> Tracing:
        env = os.environ if env is None else env
        if not any(env.get(name) for name in ENDPOINT_VARIABLES):
            return cls()
        if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
            return cls()
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        resource = Resource.create({SERVICE_NAME: env.get("OTEL_SERVICE_NAME") or "hookline"})
        provider = TracerProvider(resource=resource, shutdown_on_exit=False)
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        return cls(provider)

    @contextmanager
    def span(
        self,
        name: str,
        *,
        parent: str | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Attributes = None,
    ) -> Iterator[Span]:
        """A span for the block, made current; a child of `parent` (a `traceparent`) if given,
        else of the current span. Off, a no-op span that records nothing."""
        if not self.enabled:
            yield INVALID_SPAN
            return
        context = _PROPAGATOR.extract({"traceparent": parent}) if parent else None
        with self._tracer.start_as_current_span(
            name, context=context, kind=kind, attributes=attributes
        ) as span:
            yield span

    def traceparent(self, inherited: str | None) -> str | None:
        """The `traceparent` to hand on from here: the current span's when tracing, else
        `inherited` (the publisher's) if it is a valid one."""
        if not self.enabled:
            return valid_traceparent(inherited)
        carrier: dict[str, str] = {}
        _PROPAGATOR.inject(carrier)
        return carrier.get("traceparent")

    def shutdown(self) -> None:
        """Export what is still buffered, then stop the exporter (at the process's stop)."""
        if self._provider is not None:
            self._provider.shutdown()


def valid_traceparent(text: str | None) -> str | None:
    """`text` as a version-00 W3C `traceparent`, or None if it is not a valid one (which the
    Trace Context spec says to ignore, never to refuse). A later version is read as 00, as the
    spec asks, its extra fields dropped."""
    found = _TRACEPARENT.fullmatch(text.strip()) if text else None
    if found is None:
        return None
    version, trace_id, span_id, flags, rest = found.groups()
    if version == "ff" or (version == "00" and rest) or trace_id == _ZERO_TRACE or span_id == _ZERO_SPAN:
        return None
    return f"00-{trace_id}-{span_id}-{flags}"


_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")
_ZERO_TRACE, _ZERO_SPAN = "0" * 32, "0" * 16
