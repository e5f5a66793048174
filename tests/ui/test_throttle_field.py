"""The registration form's "Max requests per second": the API's bounds, each refusal next to the
field, the value shown on the registration page, prefilled on edit, and cleared by emptying it."""

from __future__ import annotations

import httpx
import pytest

from hookline.runtime import Runtime
from tests.conftest import Receiver
from tests.ui.conftest import csrf_of
from tests.ui.test_registration_form import form, registrations_of


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "Must be between 1 and 10000 (or null: unlimited)."),
        ("10001", "Must be between 1 and 10000 (or null: unlimited)."),
        ("2.5", "Enter a whole number from 1 to 10000, or leave it empty."),
        ("fast", "Enter a whole number from 1 to 10000, or leave it empty."),
        ("٣", "Enter a whole number from 1 to 10000, or leave it empty."),  # a digit, but not 0-9
        ("9" * 5000, "Enter a whole number from 1 to 10000, or leave it empty."),
    ],
)
async def test_a_ceiling_outside_the_api_s_bounds_is_refused_next_to_its_field(
    signed_in: httpx.AsyncClient, runtime: Runtime, receiver: Receiver, typed: str, message: str
) -> None:
    token = csrf_of((await signed_in.get("/ui/registrations/new")).text)
    refused = await signed_in.post(
        "/ui/registrations/new",
        data=form(token, targetUrl=receiver.url("/r"), event="Process:1", maxRequestsPerSecond=typed),
    )
    assert refused.status_code == 422
    assert f'id="maxRequestsPerSecond-error">{message}' in refused.text
    assert await registrations_of(runtime) == []


async def test_the_ceiling_is_saved_shown_prefilled_and_cleared(
    signed_in: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    new = (await signed_in.get("/ui/registrations/new")).text
    assert 'name="maxRequestsPerSecond"' in new and "Max requests per second" in new
    created = await signed_in.post(
        "/ui/registrations/new",
        data=form(csrf_of(new), targetUrl=receiver.url("/r"), event="Process:1", maxRequestsPerSecond="20"),
    )
    assert created.status_code == 303, created.text
    [registration] = await registrations_of(runtime)
    assert registration.max_requests_per_second == 20
    page = (await signed_in.get(created.headers["location"])).text
    assert "<strong>20</strong> (across every worker)" in page

    edit_page = f"/ui/registrations/{registration.id}/edit"
    edit = (await signed_in.get(edit_page)).text
    assert 'name="maxRequestsPerSecond" type="text" value="20"' in edit
    saved = await signed_in.post(
        edit_page,
        data=form(csrf_of(edit), targetUrl=receiver.url("/r"), event="Process:1", maxRequestsPerSecond=""),
    )
    assert saved.status_code == 303
    assert (await runtime.hookline.get_registration(registration.id, None)).max_requests_per_second is None
    assert (
        "Max requests per second</dt>\n      <dd>unlimited"
        in (await signed_in.get(saved.headers["location"])).text
    )
