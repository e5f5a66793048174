"""Request and response bodies: camelCase on the wire, enums as ids out, ids or names in."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from functools import cache
from types import UnionType
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictStr,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import SkipJsonSchema

from hookline.api.paging import MAX_PAGE_NUMBER, MAX_PAGE_SIZE
from hookline.api.selections import DataFilter, SelectedType, ShownType
from hookline.api.spellings import NO_NUL, enum_pattern
from hookline.domain.enums import (
    AuthorizationType,
    ContractEnum,
    Role,
    SignatureScheme,
    WebhookEventType,
    WebhookState,
)
from hookline.domain.headers import MASK, MAX_CUSTOM_HEADERS, MAX_VALUE_LENGTH
from hookline.domain.records import EnabledEvent, Page, Registration
from hookline.domain.states import BulkAction
from hookline.domain.stats import StatsWindow
from hookline.domain.throttle import MAX_RATE, MIN_RATE
from hookline.domain.urls import MAX_URL_LENGTH
from hookline.service.stats import OverviewStats, RegistrationStats, Totals
from hookline.service.views import BlockedGroup, EventView, WebhookDetail


def _as_utc(value: datetime) -> datetime:
    """Naive timestamps are taken as UTC; aware ones are converted to it."""
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-01:00 is past year 9999 in UTC
        raise ValueError("is out of range in UTC") from None


def _timestamp_text(value: object) -> object:
    """Timestamps are ISO-8601 text; pydantic would also read `0`, or `"0.5"` in a query string,
    as seconds since 1970."""
    if isinstance(value, datetime) or (isinstance(value, str) and not _is_number(value)):
        return value
    raise ValueError("must be an ISO-8601 timestamp such as 2026-01-05T12:00:00Z")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _accepted(kind: type[ContractEnum]) -> WithJsonSchema:
    """What `kind.parse` takes, as the description says it: the id, or the name in any case."""
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "enum": [member.value for member in kind]},
                {"type": "string", "pattern": enum_pattern(kind)},
            ],
            "description": f"the id or the case-insensitive name: {kind.describe()}",
        },
        mode="validation",
    )


Instant = Annotated[
    datetime,
    BeforeValidator(_timestamp_text),
    AfterValidator(_as_utc),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="validation"),
]
EventType = Annotated[WebhookEventType, BeforeValidator(WebhookEventType.parse), _accepted(WebhookEventType)]
State = Annotated[WebhookState, BeforeValidator(WebhookState.parse), _accepted(WebhookState)]
AuthType = Annotated[
    AuthorizationType, BeforeValidator(AuthorizationType.parse), _accepted(AuthorizationType)
]
RoleName = Annotated[
    Role,
    BeforeValidator(Role.parse),
    PlainSerializer(lambda role: role.name.lower(), return_type=str),
    _accepted(Role),
]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class Schema(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", str_strip_whitespace=False
    )

    @classmethod
    def of(cls, record: object) -> Self:
        """The response for a store record whose attributes carry the same (snake_case) names."""
        return cls.model_validate(record, from_attributes=True)


def _refuse_unstorable(value: object, *, allow_nul: bool) -> None:
    """Refuse text no column can store and numbers no webhook body can carry.

    Lone surrogates cannot be encoded as UTF-8, PostgreSQL text cannot hold NUL, and the NaN
    and Infinity that Python's JSON parser lets through are not JSON. Walks with a stack, not
    recursion: `data` may nest as deep as the parser allows.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not allow_nul and "\x00" in item:
                raise ValueError("must not contain NUL characters")
            try:
                item.encode()
            except UnicodeEncodeError:
                raise ValueError("must not contain unpaired surrogates") from None
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValueError("must be valid JSON: NaN and Infinity are not numbers there")
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


@cache
def _is_flag(annotation: Any) -> bool:
    """`bool` or `bool | None`: fields that take exactly `true` or `false`."""
    return annotation is bool or (
        get_origin(annotation) in (Union, UnionType) and set(get_args(annotation)) == {bool, type(None)}
    )


def _describe_input(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Say in the description what `Input` enforces: no NUL in text (but in `data`), and no null
    for the fields a PATCH may leave out but not clear (`not_null`)."""
    properties: dict[str, Any] = schema.get("properties", {})
    for name in getattr(model, "not_null", ()):
        prop = properties[to_camel(name)]
        branches = [branch for branch in prop.pop("anyOf", [prop]) if branch.get("type") != "null"]
        prop.pop("default", None)
        if len(branches) == 1:
            prop.update(branches[0])
        else:
            prop["anyOf"] = branches
    for alias, prop in properties.items():
        if alias == "data":
            continue
        for branch in prop.get("anyOf", [prop]):
            if branch.get("type") == "string" and not {"pattern", "format"} & branch.keys():
                branch["pattern"] = NO_NUL


class Input(Schema):
    """A request body: every text in it must be storable and sendable, and a boolean is `true`
    or `false` (pydantic would also take `0`, `"false"`, `"off"`: a typo must not flip a switch)."""

    model_config = ConfigDict(json_schema_extra=_describe_input)

    @field_validator("*", mode="before")
    @classmethod
    def _strict_flag(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        annotation: Any = None if field is None else field.annotation
        if value is not None and not isinstance(value, bool) and _is_flag(annotation):
            raise ValueError("must be true or false")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        # event `data` is stored as JSON text, where NUL is escaped as \u0000
        _refuse_unstorable(value, allow_nul=info.field_name == "data")
        return value


T = TypeVar("T")


class Paged(Schema, Generic[T]):
    items: list[T]
    page_number: int
    page_size: int
    total_pages: int
    total_count: int
    has_previous_page: bool
    has_next_page: bool


def paged(page: Page[Any], convert: Any) -> dict[str, Any]:
    return {
        "items": [convert(item) for item in page.items],
        "pageNumber": page.page_number,
        "pageSize": page.page_size,
        "totalPages": page.total_pages,
        "totalCount": page.total_count,
        "hasPreviousPage": page.page_number > 1,
        "hasNextPage": page.page_number < page.total_pages,
    }


# API keys -------------------------------------------------------------------------------------


class ApiKeyIn(Input):
    organization_id: Name | None = None
    """Required for admin keys; an owner key creates in its own organization."""
    role: RoleName
    name: Annotated[str, Field(max_length=200)] | None = None


class ApiKeyOut(Schema):
    id: str
    organization_id: str
    role: RoleName
    name: str
    created_at: datetime
    last_used_at: datetime | None


class CreatedApiKeyOut(ApiKeyOut):
    key: str


# Registrations --------------------------------------------------------------------------------


class EnabledEventIn(Input):
    entity_name: Name = Field(
        description='An entity of the catalog, or "*": every one but Webhook and '
        "WebhookRegistration, which are named explicitly."
    )
    type: SelectedType
    filter: DataFilter | None = None


class EnabledEventOut(Schema):
    id: str
    entity_name: str
    type: ShownType
    filter: dict[str, Any] | None

    @classmethod
    def of(cls, record: object) -> Self:
        assert isinstance(record, EnabledEvent)
        shown = None if record.filter is None else json.loads(record.filter)
        return cls(id=record.id, entity_name=record.entity_name, type=record.type, filter=shown)


class TargetAuthorizationIn(Input):
    authorization_type: AuthType = AuthorizationType.NONE
    username: Annotated[str, Field(max_length=500)] | None = None
    password: Annotated[str, Field(max_length=500)] | None = None
    token: (
        Annotated[str, Field(max_length=MAX_VALUE_LENGTH, description="Bearer (2) only; write-only.")] | None
    ) = None
    token_url: (
        Annotated[
            str,
            Field(
                max_length=MAX_URL_LENGTH,
                description="OAuth2 (3) only, like the fields after it: the token endpoint, checked "
                "like targetUrl. hookline POSTs grant_type=client_credentials there, authenticated "
                "with HTTP Basic (clientId:clientSecret).",
            ),
        ]
        | None
    ) = None
    client_id: Annotated[str, Field(max_length=500)] | None = None
    client_secret: Annotated[str, Field(max_length=MAX_VALUE_LENGTH, description="Write-only.")] | None = None
    scope: Annotated[str, Field(max_length=1000)] | None = None
    audience: Annotated[str, Field(max_length=1000)] | None = None


class TargetAuthorizationOut(Schema):
    authorization_type: AuthorizationType
    username: str | None


class OAuth2AuthorizationOut(Schema):
    """OAuth2 client credentials (3): everything but the client secret."""

    authorization_type: AuthorizationType
    token_url: str
    client_id: str
    scope: str | None
    audience: str | None


class ClientCertificateIn(Input):
    """Write-only: answers show the certificate's subject and expiry, never the key."""

    certificate: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64 * 1024,
            description="PEM: the client certificate, then any intermediates.",
        ),
    ]
    private_key: Annotated[
        str, Field(min_length=1, max_length=16 * 1024, description="PEM, unencrypted; write-only.")
    ]


class ClientCertificateOut(Schema):
    subject: str
    not_after: datetime


TargetUrl = Annotated[str, Field(min_length=1, max_length=MAX_URL_LENGTH)]
Description = Annotated[str, Field(max_length=1000)]
HeaderName = Annotated[str, Field(min_length=1, max_length=100)]
HeaderValue = Annotated[str, Field(max_length=MAX_VALUE_LENGTH)]
_HEADERS_DOC = (
    "Static headers added to every request (at most 20); names hookline owns are refused "
    "(Content-Type, Content-Length, Host, Authorization, webhook-*, traceparent, tracestate, "
    "hop-by-hop and proxy-*). Values are write-only: answers show each name with •••."
)
CustomHeaders = Annotated[
    dict[HeaderName, HeaderValue],
    Field(max_length=MAX_CUSTOM_HEADERS, description=_HEADERS_DOC),
]
CustomHeadersPatch = Annotated[
    dict[HeaderName, HeaderValue | None],
    Field(
        max_length=MAX_CUSTOM_HEADERS,
        description=_HEADERS_DOC + " Replaces the set; a null value keeps that name's stored "
        "value; null or {} removes them all.",
    ),
]
Events = Annotated[list[EnabledEventIn], Field(min_length=1, max_length=200)]
RetrySchedule = Annotated[
    list[Annotated[str, Field(max_length=20)]],
    Field(
        max_length=100,  # the count's own limit (20) is checked with a clearer message
        description='Delays after failed attempts 1, 2, ...: e.g. ["10s", "1m"] (units ms, s, m, h, d; '
        "each 1s..7d; at most 20); [] is a single attempt, no retries. Overrides HOOKLINE_RETRY_SCHEDULE.",
    ),
]


MaxRequestsPerSecond = Annotated[
    int,
    Field(
        strict=True,  # a JSON integer: "20" or 20.5 is a mistake to point out, not to guess at
        ge=MIN_RATE,
        le=MAX_RATE,
        description="A ceiling on requests per second to its target, across every worker (retries "
        "included; a test send is not counted); null: unlimited.",
    ),
]


class RegistrationIn(Input):
    verify: bool = False
    target_url: TargetUrl
    enabled_events: Events
    should_group: bool = False
    should_group_continue_after_fail: bool = False
    coalesce_updates: bool = Field(
        False,
        description="While an Updated Webhook of an entity waits, a newer Updated event of the "
        "same entity replaces its payload instead of adding a Webhook (never across Created or "
        "Deleted).",
    )
    target_authorization: TargetAuthorizationIn | None = None
    client_certificate: ClientCertificateIn | None = Field(
        None, description="Presented to the target for mutual TLS (https:// targets only)."
    )
    headers: CustomHeaders | None = None
    description: Description | None = None
    expires_at: Instant | None = None
    is_paused: bool = Field(
        False, description="Created paused: matching events make Webhooks that wait in Pending."
    )
    retry_schedule: RetrySchedule | None = None
    max_requests_per_second: MaxRequestsPerSecond | None = None
    signature_scheme: SignatureScheme = Field(
        SignatureScheme.V1,
        description='"v1": HMAC-SHA256, its `signingSecret` answered once; "v1a": Ed25519, '
        "its `signingPublicKey` answered on every read. Fixed once created.",
    )
    organization_id: Name | None = None


class RegistrationPatch(Input):
    not_null: ClassVar[tuple[str, ...]] = (
        "target_url",
        "enabled_events",
        "should_group",
        "should_group_continue_after_fail",
        "coalesce_updates",
        "is_active",
        "is_paused",
    )
    """Fields that may be left out but not sent as null (the others' null clears them)."""

    target_url: TargetUrl | None = None
    enabled_events: Events | None = None
    should_group: bool | None = None
    should_group_continue_after_fail: bool | None = None
    coalesce_updates: bool | None = None
    target_authorization: TargetAuthorizationIn | None = None
    client_certificate: ClientCertificateIn | None = Field(
        None, description="Replaces the client certificate; null removes it."
    )
    headers: CustomHeadersPatch | None = None
    description: Description | None = None
    is_active: bool | None = None
    is_paused: bool | None = Field(
        None,
        description="true holds its Webhooks in Pending; false releases them in group order, "
        "at HOOKLINE_RESUME_RATE per second.",
    )
    retry_schedule: RetrySchedule | None = Field(
        None, description="null goes back to the service's HOOKLINE_RETRY_SCHEDULE."
    )
    max_requests_per_second: MaxRequestsPerSecond | None = None
    expires_at: Instant | None = None
    signature_scheme: SkipJsonSchema[object] = Field(None, exclude=True)
    """Declared only to refuse it with a clear message: the scheme is fixed once created."""


class RegistrationOut(Schema):
    id: str
    organization_id: str
    target_url: str
    description: str | None
    enabled_events: list[EnabledEventOut]
    should_group: bool
    should_group_continue_after_fail: bool
    coalesce_updates: bool
    target_authorization: TargetAuthorizationOut | OAuth2AuthorizationOut
    client_certificate: ClientCertificateOut | None = Field(
        None, description="The client certificate it presents for mutual TLS: subject and expiry only."
    )
    headers: dict[str, str] = Field(description="Its custom headers' names; each value shows as •••.")
    is_active: bool
    is_paused: bool
    paused_at: datetime | None
    retry_schedule: list[str] | None = Field(
        description="Its own delays between attempts ([]: one attempt); null: the service's schedule."
    )
    max_requests_per_second: int | None = Field(
        description="The ceiling on requests per second to its target; null: unlimited."
    )
    disabled_reason: str | None
    expires_at: datetime | None
    failing_since: datetime | None = Field(
        description="When the current streak of failed attempts began; null after a success."
    )
    signature_scheme: SignatureScheme
    signing_public_key: str | None = Field(
        description='"v1a": the `whpk_` Ed25519 public key receivers verify with; null for "v1".'
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: object) -> Self:
        """Registrations keep authorization type and username flat; the API nests them."""
        assert isinstance(record, Registration)
        flat = {
            name: getattr(record, name)
            for name in RegistrationOut.model_fields
            if name not in ("target_authorization", "headers")
        }
        oauth2 = record.oauth2
        nested: TargetAuthorizationOut | OAuth2AuthorizationOut = (
            TargetAuthorizationOut(authorization_type=record.authorization_type, username=record.username)
            if oauth2 is None
            else OAuth2AuthorizationOut(
                authorization_type=record.authorization_type,
                token_url=oauth2.token_url,
                client_id=oauth2.client_id,
                scope=oauth2.scope,
                audience=oauth2.audience,
            )
        )
        headers = dict.fromkeys(record.custom_header_names, MASK)
        events = [EnabledEventOut.of(e) for e in record.enabled_events]
        return cls.model_validate(
            flat | {"target_authorization": nested, "headers": headers, "enabled_events": events},
            from_attributes=True,
        )


class CreatedRegistrationOut(RegistrationOut):
    """A new "v1" registration with its secret, shown this once ("v1a" answers RegistrationOut)."""

    signing_secret: str


class RegistrationSearch(Input):
    target_url: TargetUrl | None = Field(None, description="Matches exactly, after normalization.")
    query: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        None, description="A case-insensitive substring of the target URL or the description."
    )
    entity_name: Name | None = None
    type: EventType | None = None
    is_active: bool | None = None
    organization_id: Name | None = None
    page_number: Annotated[int, Field(ge=1, le=MAX_PAGE_NUMBER)] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 50


class RotateIn(Input):
    signature_scheme: SignatureScheme | None = Field(
        None,
        description="Switch to this scheme: the new key is of it, and the old key (of the old "
        "scheme) keeps signing alongside for 24 h. Left out: a new key of the current scheme.",
    )


class SigningSecretOut(Schema):
    signing_secret: str


class SigningPublicKeyOut(Schema):
    signing_public_key: str


class RecoverIn(Input):
    since: Instant
    until: Instant | None = None
    states: Annotated[list[State], Field(min_length=1, max_length=7)] = [WebhookState.FAILED]
    dry_run: bool = False


class CountOut(Schema):
    count: int


# Events ---------------------------------------------------------------------------------------


SAFE_INTEGER = 2**53 - 1
"""The largest integer every JSON parser reads exactly (I-JSON, RFC 7493)."""


def _number_as_text(value: object) -> object:
    """Entity ids are strings, but hosts often have integer ids: accept `42` as `"42"` (up to
    SAFE_INTEGER either way: a larger number may already have been rounded on its way here)."""
    if isinstance(value, float) and value.is_integer():  # JSON's 42.0 is the integer 42
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > SAFE_INTEGER:
            raise ValueError(f"must be a string, or an integer of at most {SAFE_INTEGER} either way")
        return str(value)
    return value


EntityId = Annotated[
    str,
    BeforeValidator(_number_as_text),
    Field(min_length=1, max_length=200),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "minLength": 1, "maxLength": 200, "pattern": NO_NUL},
                {"type": "integer", "minimum": -SAFE_INTEGER, "maximum": SAFE_INTEGER},
            ]
        },
        mode="validation",
    ),
]


class RelationIn(Input):
    name: Name = Field(description="Which relation of the entity changed, e.g. `tenants`.")
    ids: Annotated[
        list[Annotated[StrictStr, Field(min_length=1, max_length=200)]],
        Field(
            max_length=1000,
            description="4 ReplaceRelation: the complete new list; 5 AddToRelation: the ids added; "
            "6 RemoveFromRelation: the ids removed.",
        ),
    ]
    entity_name: Name | None = Field(None, description="The related entity's name.")


class EventIn(Input):
    id: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    entity_name: Name
    type: EventType
    entity_id: EntityId
    group_key: Annotated[str, Field(min_length=1, max_length=400)] | None = None
    occurred_at: Instant | None = None
    data: Any = None
    relation: RelationIn | None = Field(
        None, description="Required for types 4..6 (relation events), refused for 1..3; delivered as is."
    )
    organization_id: Name | None = None


class PublishedOut(Schema):
    event_id: str
    webhook_ids: list[str]


MAX_BATCH_EVENTS = 500


class EventBatchIn(Input):
    events: Annotated[list[EventIn], Field(min_length=1, max_length=MAX_BATCH_EVENTS)]


class PublishedBatchOut(Schema):
    items: list[PublishedOut]


# Webhooks and attempts ------------------------------------------------------------------------


class WebhookOut(Schema):
    id: str
    organization_id: str
    registration_id: str
    webhook_event_id: str
    event_id: str
    entity_name: str
    type: WebhookEventType
    entity_id: str
    group_key: str
    state: WebhookState
    attempt_count: int
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookDetailOut(WebhookOut):
    payload: dict[str, Any] = Field(
        description="The JSON body as sent, or as it will be sent (byte for byte: keys in this "
        "order, compact separators)."
    )
    blocked_by: WebhookOut | None = Field(
        description="For a Pending Webhook: the oldest Webhook that holds back its group "
        "(settle or retry that one); null otherwise."
    )

    @classmethod
    def of(cls, record: object) -> Self:
        assert isinstance(record, WebhookDetail)
        return cls.model_validate(
            {
                **WebhookOut.of(record.webhook).model_dump(),
                "payload": record.payload,
                "blocked_by": None if record.blocked_by is None else WebhookOut.of(record.blocked_by),
            }
        )


class BlockedGroupOut(Schema):
    group_key: str
    pending: int = Field(description="How many of its Webhooks wait in Pending.")
    oldest_pending_at: datetime
    blocked_by: WebhookOut | None = Field(
        description="The oldest Webhook holding the group back: resolve, abort or retry it (a Failed one "
        "needs a hand). Null when nothing before the Pending ones does (the registration is paused)."
    )

    @classmethod
    def of(cls, record: object) -> Self:
        assert isinstance(record, BlockedGroup)
        return cls(
            group_key=record.group_key,
            pending=record.pending,
            oldest_pending_at=record.oldest_pending_at,
            blocked_by=None if record.blocker is None else WebhookOut.of(record.blocker),
        )


class AttemptOut(Schema):
    id: str
    webhook_id: str
    attempt_number: int
    started_at: datetime
    duration_ms: int
    response_status: int | None
    response_body: str | None
    error: str | None
    succeeded: bool
    request_headers: dict[str, str] = Field(
        description="The request headers as sent; the values of `webhook-signature`, "
        "`Authorization` and custom headers are masked (`v1,•••`, `Basic •••`, `•••`)."
    )
    response_headers: dict[str, str] | None = Field(
        description="The response headers (at most 50, 8 KiB in all, each value cut to 1 KiB; "
        "repeated names joined with `, `); null when no response arrived."
    )


class EventOut(Schema):
    id: str
    organization_id: str
    idempotency_id: str | None = Field(description="The `id` the publisher sent, if any.")
    entity_name: str
    type: WebhookEventType
    entity_id: str
    group_key: str | None
    occurred_at: datetime
    created_at: datetime
    data: Any
    relation: Any = Field(
        description="`{name, ids, entityName?}` of a relation event (types 4..6); else null."
    )
    webhooks: list[WebhookOut] = Field(description="Every Webhook the event made, oldest first.")

    @classmethod
    def of(cls, record: object) -> Self:
        assert isinstance(record, EventView)
        event, parsed = record.event, ("data", "relation", "webhooks")
        same = {name: getattr(event, name) for name in cls.model_fields if name not in parsed}
        return cls.model_validate(
            same
            | {
                "data": json.loads(event.data_json),
                "relation": None if event.relation_json is None else json.loads(event.relation_json),
                "webhooks": [WebhookOut.of(webhook) for webhook in record.webhooks],
            }
        )


class WebhookFilterIn(Input):
    registration_id: Annotated[str, Field(max_length=200)] | None = None
    state: State | None = None
    entity_name: Name | None = None
    entity_id: (
        Annotated[str, BeforeValidator(_number_as_text), Field(min_length=1, max_length=200)] | None
    ) = None
    type: EventType | None = None
    created_after: Instant | None = Field(None, description="Inclusive.")
    created_before: Instant | None = Field(None, description="Exclusive.")
    organization_id: Name | None = Field(None, description="Admins: only this organization's Webhooks.")


class BulkIn(Input):
    action: BulkAction
    filter: WebhookFilterIn = Field(default_factory=lambda: WebhookFilterIn.model_validate({}))
    dry_run: bool = False


class TypeCoverageOut(Schema):
    type: WebhookEventType
    events_published: int
    webhooks_succeeded: int


class EntityOut(Schema):
    entity_name: str
    types: list[WebhookEventType]
    last_7_days: list[TypeCoverageOut]


class EntitiesOut(Schema):
    items: list[EntityOut]


# Health figures -------------------------------------------------------------------------------


class SeriesPointOut(Schema):
    start: datetime = Field(description="The start of the hour (UTC).")
    successes: int
    failures: int
    mean_duration_ms: int | None = Field(description="Null when the hour had no attempts.")
    max_duration_ms: int | None


class BacklogOut(Schema):
    created: int
    retrying: int
    pending: int


class LastFailureOut(Schema):
    at: datetime = Field(description="When the attempt started.")
    webhook_id: str
    attempt_id: str
    attempt_number: int
    response_status: int | None
    error: str | None = Field(description="Why no response arrived (null when one did).")
    duration_ms: int


class _TotalsOut(Schema):
    window: StatsWindow
    since: datetime = Field(
        description="The window is [since, until): whole hours, the last the current one."
    )
    until: datetime
    attempts: int
    successes: int
    failures: int
    success_rate: float | None = Field(description="successes / attempts (0..1); null without attempts.")
    series: list[SeriesPointOut] = Field(
        description="One point per hour of the window, oldest first (24 or 168), hours without attempts included."
    )

    @staticmethod
    def totals(totals: Totals) -> dict[str, Any]:
        return {
            "window": totals.window,
            "since": totals.since,
            "until": totals.until,
            "attempts": totals.attempts,
            "successes": totals.successes,
            "failures": totals.failures,
            "success_rate": totals.success_rate,
            "series": [SeriesPointOut.of(point) for point in totals.series],
        }


class RegistrationStatsOut(_TotalsOut):
    p50_duration_ms: int | None = Field(
        description="Median attempt duration in the window (nearest rank); null without attempts."
    )
    p95_duration_ms: int | None
    backlog: BacklogOut = Field(description="The registration's Webhooks waiting now, by state.")
    last_failure: LastFailureOut | None = Field(description="The latest failed attempt in the window.")

    @classmethod
    def of(cls, record: object) -> Self:
        assert isinstance(record, RegistrationStats)
        return cls.model_validate(
            cls.totals(record.totals)
            | {
                "p50_duration_ms": record.p50_duration_ms,
                "p95_duration_ms": record.p95_duration_ms,
                "backlog": BacklogOut.of(record.backlog),
                "last_failure": None
                if record.last_failure is None
                else LastFailureOut.of(record.last_failure),
            }
        )


class FailingRegistrationOut(Schema):
    registration_id: str
    target_url: str
    description: str | None
    is_active: bool
    attempts: int
    failures: int
    success_rate: float
    last_failure_at: datetime


class OverviewStatsOut(_TotalsOut):
    backlog: BacklogOut = Field(description="Webhooks waiting now, by state.")
    failing_registrations: list[FailingRegistrationOut] = Field(
        description="The registrations with the most failed attempts in the window, most first."
    )

    @classmethod
    def of(cls, record: object) -> Self:
        assert isinstance(record, OverviewStats)
        return cls.model_validate(
            cls.totals(record.totals)
            | {
                "backlog": BacklogOut.of(record.backlog),
                "failing_registrations": [
                    FailingRegistrationOut(
                        registration_id=item.registration.id,
                        target_url=item.registration.target_url,
                        description=item.registration.description,
                        is_active=item.registration.is_active,
                        attempts=item.attempts,
                        failures=item.failures,
                        success_rate=item.success_rate,
                        last_failure_at=item.last_failure_at,
                    )
                    for item in record.failing
                ],
            }
        )
