"""TLS towards targets: which roots verify their certificates, and which client certificate
a registration presents (mutual TLS).

Targets are verified against the system's trusted roots (which honour `SSL_CERT_FILE`), plus
the operator's own roots from HOOKLINE_TARGET_CA_FILE. A registration with a client
certificate gets its own context, memoized per certificate, so its connections are pooled
apart from everyone else's and a certificate is never presented to another registration's target.
"""

from __future__ import annotations

import hashlib
import os
import ssl
import tempfile
from collections import OrderedDict
from pathlib import Path

MAX_CLIENT_CONTEXTS = 1000
"""Client-certificate contexts kept per process; the least recently used one goes first."""


class TargetTls:
    def __init__(self, extra_roots: str | None = None) -> None:
        """`extra_roots`: PEM certificates trusted beside the system's (HOOKLINE_TARGET_CA_FILE)."""
        self._extra_roots = extra_roots
        self.default = self._context()
        """The context of every connection without a client certificate."""
        self._presenting: OrderedDict[bytes, ssl.SSLContext] = OrderedDict()

    def presenting(self, bundle: str) -> ssl.SSLContext:
        """The context that presents `bundle` (certificate chain and key, PEM) to the server."""
        digest = hashlib.sha256(bundle.encode()).digest()
        context = self._presenting.get(digest)
        if context is None:
            context = self._context()
            _load_cert_chain(context, bundle)
            self._presenting[digest] = context
            if len(self._presenting) > MAX_CLIENT_CONTEXTS:
                self._presenting.popitem(last=False)
        else:
            self._presenting.move_to_end(digest)
        return context

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()  # the system's roots; certificate and name checked
        if self._extra_roots:
            context.load_verify_locations(cadata=self._extra_roots)
        return context


def _load_cert_chain(context: ssl.SSLContext, bundle: str) -> None:
    """`load_cert_chain` reads only files: the bundle is written to a private temporary
    directory (mode 0700, the file 0600) and removed as soon as it is loaded."""
    with tempfile.TemporaryDirectory(prefix="hookline-tls-") as directory:
        path = Path(directory, "client.pem")
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(bundle)
        context.load_cert_chain(path)
