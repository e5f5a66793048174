"""One domain event: what was published, and every Webhook it made."""

from __future__ import annotations

import json

from fastapi import Request
from starlette.responses import Response

from hookline.ui.rendering import render
from hookline.ui.route import ui_router
from hookline.ui.viewer import Signed, hookline_of

router = ui_router()


@router.get("/ui/events/{event_id}")
async def event(request: Request, event_id: str, viewer: Signed) -> Response:
    view = await hookline_of(request).get_event(event_id, viewer.scope)
    return render(
        request,
        "event.html",
        live=True,
        nav="webhooks",
        event=view.event,
        data=json.dumps(json.loads(view.event.data_json), indent=2, ensure_ascii=False),
        webhooks=view.webhooks,
    )
