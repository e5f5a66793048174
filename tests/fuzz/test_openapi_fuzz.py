"""schemathesis against hookline's own OpenAPI description, over real HTTP to `hookline serve`:
generated requests to every operation never get a 5xx, and every answer matches the schema.

HOOKLINE_FUZZ_EXAMPLES sets the cases per operation (`make fuzz` runs a few hundred).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

ADMIN = "hl_fuzz_admin_key"
EXAMPLES = int(os.environ.get("HOOKLINE_FUZZ_EXAMPLES", "25"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One `hookline serve` on SQLite (no worker: deliveries are not what is fuzzed)."""
    folder: Path = tmp_path_factory.mktemp("fuzz")
    port = _free_port()
    env = os.environ | {
        "HOOKLINE_DATABASE_URL": f"sqlite:///{folder / 'fuzz.db'}",
        "HOOKLINE_ADMIN_KEY": ADMIN,
        "HOOKLINE_SECRET_KEY": "fuzz-secret",
        "HOOKLINE_RATE_LIMIT": "0",
        "HOOKLINE_UNKNOWN_KEY_RATE_LIMIT": "0",
    }
    log = (folder / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "hookline", "serve", "--no-worker", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)  # polling a starting process, not standing in for a clock
        else:
            pytest.fail(f"hookline serve did not start; see {folder / 'serve.log'}")
        yield base
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def test_no_5xx_and_every_answer_matches_the_schema(served: str) -> None:
    api = schemathesis.openapi.from_url(f"{served}/openapi.json")
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def answer_is_sound(case: Case) -> None:
            response = case.call(headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30)
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance, content_type_conformance]
            )

        answer_is_sound()
