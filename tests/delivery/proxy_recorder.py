"""A proxy.py plugin for tests: appends one JSON line per request it is asked to forward.

Loaded by a real `python -m proxy` process (see `egress_proxy` in test_egress_proxy.py); it
writes to the file named by HOOKLINE_TEST_PROXY_LOG what the proxy saw before connecting
upstream: the method, the upstream host and port, and the `Host` header. It refuses (403) to
forward to anything but an IP address, so the proxy never resolves a name: no DNS query leaves
the machine even if hookline handed it one; with HOOKLINE_TEST_PROXY_REFUSE_ALL it refuses
everything, as a filtering proxy refuses a target it does not allow.
"""

from __future__ import annotations

import ipaddress
import json
import os

from proxy.http.exception import HttpRequestRejected
from proxy.http.parser import HttpParser
from proxy.http.proxy import HttpProxyBasePlugin


class Recorder(HttpProxyBasePlugin):
    def before_upstream_connection(self, request: HttpParser) -> HttpParser:
        entry = {
            "method": (request.method or b"").decode(),
            "host": (request.host or b"").decode(),
            "port": request.port,
            "hostHeader": request.header(b"host").decode() if request.has_header(b"host") else None,
        }
        with open(os.environ["HOOKLINE_TEST_PROXY_LOG"], "a") as log:
            log.write(json.dumps(entry) + "\n")
        try:
            ipaddress.ip_address(str(entry["host"]).strip("[]"))
        except ValueError:
            raise HttpRequestRejected(status_code=403, reason=b"Forbidden") from None
        if os.environ.get("HOOKLINE_TEST_PROXY_REFUSE_ALL"):
            raise HttpRequestRejected(status_code=403, reason=b"Forbidden")
        return request
