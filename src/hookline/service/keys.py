"""API keys: creation, authentication with a short cache, revocation."""

from __future__ import annotations

from datetime import timedelta

from hookline.crypto import hash_api_key, new_api_key
from hookline.domain.enums import Role
from hookline.domain.errors import Forbidden, NotFound
from hookline.domain.records import ApiKey, Page
from hookline.ids import new_id
from hookline.service.base import Principal, UseCases
from hookline.store import api_keys as keys_store
from hookline.store.organizations import ensure_organization

KEY_RECHECK = timedelta(seconds=10)


class ApiKeyUseCases(UseCases):
    """Keys are shown once and stored as hashes; a checked key is trusted for KEY_RECHECK."""

    async def create_api_key(
        self, organization_id: str, role: Role, name: str | None, *, by_owner: bool = False
    ) -> tuple[ApiKey, str]:
        """A new key; the plain key is returned here once and never stored.

        `by_owner`: an organization's owner grants it, so it may not be an admin key.
        """
        if by_owner and not role.grantable_by_owner:
            raise Forbidden("an owner key creates owner, publisher and subscriber keys only")
        now = self.clock.now()
        key = new_api_key()
        record = ApiKey(new_id("key"), organization_id, role, name or "", now, None, None)
        async with self.db.write() as conn:
            await ensure_organization(conn, organization_id, now)
            await keys_store.insert_api_key(conn, record, hash_api_key(key))
        return record, key

    def is_known(self, key: str) -> bool:
        """Whether this process has found `key` valid (however long ago) or it is the bootstrap
        admin key: a flood of unknown keys may not stop such a key from being checked again."""
        key_hash = hash_api_key(key)
        return key_hash == self._admin_key_hash or key_hash in self._checked_keys

    async def authenticate(self, key: str) -> Principal | None:
        """The key's principal; a valid key is re-read from the database at most every
        KEY_RECHECK, so a revocation in another process takes effect within that time."""
        key_hash = hash_api_key(key)
        if self._admin_key_hash is not None and key_hash == self._admin_key_hash:
            return Principal(Role.ADMIN, None)
        now = self.clock.now()
        cached = self._checked_keys.get(key_hash)
        if cached is not None and now - cached[1] < KEY_RECHECK:
            return cached[0]
        async with self.db.read() as conn:
            record = await keys_store.find_live_key(conn, key_hash)
        if record is None:
            self._checked_keys.pop(key_hash, None)
            return None
        if record.last_used_at is None or now - record.last_used_at > keys_store.LAST_USED_PRECISION:
            async with self.db.write() as conn:
                await keys_store.touch_api_key(conn, record.id, now)
        scope = None if record.role is Role.ADMIN else record.organization_id
        principal = Principal(record.role, scope, record.id)
        if len(self._checked_keys) >= 10_000:
            self._checked_keys.clear()
        self._checked_keys[key_hash] = (principal, now)
        return principal

    async def list_api_keys(
        self, page_number: int, page_size: int, organization_id: str | None = None
    ) -> Page[ApiKey]:
        """Every live key, or (`organization_id`) that organization's keys but its admin keys."""
        async with self.db.read() as conn:
            return await keys_store.list_api_keys(conn, page_number, page_size, organization_id)

    async def revoke_api_key(self, key_id: str, organization_id: str | None = None) -> None:
        """Revoke any key, or (`organization_id`) only one of that organization's non-admin keys."""
        async with self.db.write() as conn:
            if not await keys_store.revoke_api_key(conn, key_id, self.clock.now(), organization_id):
                raise NotFound(f"no API key {key_id!r}")
        for key_hash, (principal, _) in list(self._checked_keys.items()):
            if principal.key_id == key_id:
                del self._checked_keys[key_hash]
