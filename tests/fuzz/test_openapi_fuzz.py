"""schemathesis against hookline's own OpenAPI description, over real HTTP to `hookline serve`:
EVERY check (`--checks all`: no 5xx, status codes, content types, headers and bodies as
described, schema-valid requests accepted and schema-violating ones refused, 405 with `Allow`,
auth not ignored, ...) in every phase (examples, coverage, fuzzing, stateful).

HOOKLINE_FUZZ_EXAMPLES sets the cases per operation (`make fuzz` runs a few hundred);
HOOKLINE_FUZZ_SEED fixes the seed to replay a run. `schemathesis.toml` beside this file lists
the few operations whose validity depends on more than a schema can say (DNS, the clock).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ADMIN = "hl_fuzz_admin_key"
EXAMPLES = int(os.environ.get("HOOKLINE_FUZZ_EXAMPLES", "25"))
SEED = os.environ.get("HOOKLINE_FUZZ_SEED", "")
CONFIG = Path(__file__).with_name("schemathesis.toml")


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


def _new_key(served: str, role: str) -> str:
    created = httpx.post(
        f"{served}/api/api-keys",
        headers={"Authorization": f"Bearer {ADMIN}"},
        json={"organizationId": "fuzz", "role": role},
    )
    assert created.status_code == 201, created.text
    key: str = created.json()["key"]
    return key


def test_every_schemathesis_check_passes(served: str, tmp_path: Path) -> None:
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(CONFIG),
        "run",
        f"{served}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--workers",
        "1",
        "--no-color",
    ]
    if SEED:
        command += ["--seed", SEED]
    keys = {"HOOKLINE_FUZZ_ADMIN": ADMIN} | {
        f"HOOKLINE_FUZZ_{role.upper()}": _new_key(served, role) for role in ("publisher", "subscriber")
    }
    run = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
        env=os.environ | keys,
        cwd=tmp_path,  # schemathesis keeps its cache there, not in the worktree
    )
    report = run.stdout + run.stderr
    tested = re.search(r"Tested: (\d+)", report)
    assert tested is not None and int(tested.group(1)) >= 20, report
    assert run.returncode == 0, report
