"""Paging parameters shared by every list endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Query

MAX_PAGE_SIZE = 500
MAX_PAGE_NUMBER = 1_000_000_000
"""Far past any real list; keeps the row offset inside a 64-bit integer for every database."""


@dataclass(frozen=True, slots=True)
class PageParams:
    page_number: int
    page_size: int


async def page_params(  # async: no thread-pool hop per request
    page_number: Annotated[int, Query(alias="pageNumber", ge=1, le=MAX_PAGE_NUMBER)] = 1,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> PageParams:
    return PageParams(page_number, page_size)
