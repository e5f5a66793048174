"""Keys of a second organization, to prove that organizations never see each other."""

from __future__ import annotations

import pytest

from hookline.runtime import Runtime
from tests.conftest import make_key

OTHER_ORG = "globex"


@pytest.fixture
async def other_subscriber(runtime: Runtime) -> dict[str, str]:
    return await make_key(runtime, OTHER_ORG, "subscriber")


@pytest.fixture
async def other_publisher(runtime: Runtime) -> dict[str, str]:
    return await make_key(runtime, OTHER_ORG, "publisher")


@pytest.fixture
async def other_owner(runtime: Runtime) -> dict[str, str]:
    return await make_key(runtime, OTHER_ORG, "owner")
