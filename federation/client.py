"""The one outbound HTTP client: signed GETs of ActivityStreams documents and signed deliveries.

Every request goes through the address guard (scheme, literal addresses, resolved addresses,
re-checked on every redirect), a byte cap that counts decompressed bytes, and a total deadline
that covers connecting, waiting and reading (so a peer dripping bytes cannot hold us).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from federation.addressguard import check_url
from federation.errors import (
    AddressNotAllowed,
    FetchDeferred,
    FetchError,
    InvalidDocument,
    ResponseTooLarge,
)
from federation.jsonparse import parse_json_object
from federation.keys import SigningKey
from federation.signatures import sign_request
from federation.vocab import ACTIVITY_JSON, LD_JSON_AS, JsonObject, get_id, is_activity_json_type

if TYPE_CHECKING:  # aiohttp itself is loaded at the first request (`federation.transport`)
    import aiohttp
    from aiohttp.abc import AbstractResolver

MAX_REDIRECTS = 3
AS_ACCEPT = f"{ACTIVITY_JSON}, {LD_JSON_AS}"
PERMANENT_FETCH_STATUSES = frozenset({400, 403, 404, 405, 406, 410, 422})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

_fetch_free: ContextVar[asyncio.Task[object] | None] = ContextVar("fetch_free", default=None)


@contextlib.contextmanager
def no_fetching() -> Iterator[None]:
    """While inside, this task's GETs raise `FetchDeferred` instead of waiting on a peer (tasks
    it starts may still fetch). For work that must not wait on the network, such as work done
    while holding a database write lock."""
    token = _fetch_free.set(asyncio.current_task())
    try:
        yield
    finally:
        _fetch_free.reset(token)


@dataclass(frozen=True)
class ClientConfig:
    user_agent: str
    allow_private_network: bool = False
    max_bytes: int = 1024 * 1024
    total_timeout: float = 30.0
    connect_timeout: float = 10.0
    concurrency: int = 64
    per_host: int = 4
    slow_lane: int = 256  # connections to slow servers beyond `concurrency` (DeliveryWorker)
    ca_bundle: str | None = None


@dataclass(frozen=True)
class FetchedDocument:
    url: str  # the final URL, after redirects; equal to the document's id
    document: JsonObject


@dataclass(frozen=True)
class DeliveryResult:
    status: int | None  # None: no HTTP answer (network error, timeout, refused address)
    retry_after: float | None = None  # seconds, when the peer said
    error: str | None = None
    is_refused: bool = False  # our address guard refused the target: never retry

    @property
    def is_success(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def trust_store(extra_bundle: str | None) -> ssl.SSLContext:
    """The system's trusted CAs, plus those of `extra_bundle` (a private CA) when given: the
    bundle adds to the system store, it never replaces it."""
    context = ssl.create_default_context()  # loads the system store
    if extra_bundle:
        context.load_verify_locations(cafile=extra_bundle)
    return context


class FederationClient:
    def __init__(
        self,
        config: ClientConfig,
        now: Callable[[], datetime],
        *,
        resolver: AbstractResolver | None = None,
    ) -> None:
        """`resolver` is the DNS behind the address guard (the system's by default)."""
        self.config = config
        self._now = now
        self._dns = resolver
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        # aiohttp's errors, known once the session exists (before it, none can be raised).
        self._client_errors: tuple[type[Exception], ...] = ()
        self._sign_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sign")

    async def __aenter__(self) -> FederationClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._sign_pool.shutdown(wait=False)

    @property
    def session(self) -> aiohttp.ClientSession:
        """The pooled session, made at the first request (it needs the running event loop)."""
        if self._closed:
            raise RuntimeError("FederationClient used after it was closed")
        if self._session is None:
            from federation.transport import ClientError, open_session  # noqa: PLC0415

            self._client_errors = (ClientError,)
            self._session = open_session(
                user_agent=self.config.user_agent,
                ssl_context=trust_store(self.config.ca_bundle),
                allow_private=self.config.allow_private_network,
                dns=self._dns,
                limit=self.config.concurrency + self.config.slow_lane,
                per_host=self.config.per_host,
                connect_timeout=self.config.connect_timeout,
            )
        return self._session

    # -- GET -----------------------------------------------------------------------------------
    async def fetch_document(
        self, url: str, *, signer: SigningKey | None, same_origin: bool = True
    ) -> FetchedDocument:
        """GET an ActivityStreams document; its `id` must equal the final URL."""
        final_url, content_type, body = await self._get(
            url, accept=AS_ACCEPT, signer=signer, same_origin=same_origin
        )
        if not is_activity_json_type(content_type):
            raise FetchError(
                f"{final_url} answered with {content_type or 'no content type'}, "
                "not ActivityStreams",
                is_permanent=True,
            )
        document = _parse(final_url, body)
        document_id = get_id(document)
        if document_id != final_url.split("#", 1)[0]:
            raise FetchError(
                f"{final_url} served a document whose id is {document_id!r}", is_permanent=True
            )
        return FetchedDocument(url=final_url, document=document)

    async def fetch_json(self, url: str, *, accept: str = "application/json") -> JsonObject:
        """GET a plain JSON document (WebFinger, NodeInfo): same guard, cap and deadline."""
        final_url, _content_type, body = await self._get(
            url, accept=accept, signer=None, same_origin=True
        )
        return _parse(final_url, body)

    async def _get(
        self, url: str, *, accept: str, signer: SigningKey | None, same_origin: bool
    ) -> tuple[str, str | None, bytes]:
        if _fetch_free.get() is not None and _fetch_free.get() is asyncio.current_task():
            raise FetchDeferred(f"fetching {url} is not allowed here")
        url = url.split("#", 1)[0]
        origin = _origin(url)
        try:
            async with asyncio.timeout(self.config.total_timeout):
                for _hop in range(MAX_REDIRECTS + 1):
                    check_url(url, allow_private=self.config.allow_private_network)
                    headers = {"Accept": accept}
                    if signer is not None:
                        signed = await asyncio.get_running_loop().run_in_executor(
                            self._sign_pool, sign_request, signer, "GET", url, None, self._now()
                        )
                        headers.update(signed)
                    async with self.session.get(
                        url, headers=headers, allow_redirects=False
                    ) as resp:
                        if resp.status in _REDIRECTS:
                            location = resp.headers.get("Location")
                            if not location:
                                raise FetchError(
                                    f"{url} redirected without a Location", status=resp.status
                                )
                            url = urljoin(url, location).split("#", 1)[0]
                            if same_origin and _origin(url) != origin:
                                raise FetchError(
                                    f"redirect to another origin: {url}", is_permanent=True
                                )
                            continue
                        if resp.status >= 400:
                            raise FetchError(
                                f"{url} answered {resp.status}",
                                status=resp.status,
                                is_permanent=resp.status in PERMANENT_FETCH_STATUSES,
                            )
                        body = await _read_limited(resp, self.config.max_bytes)
                        return url, resp.headers.get("Content-Type"), body
                raise FetchError(
                    f"more than {MAX_REDIRECTS} redirects from {url}", is_permanent=True
                )
        except TimeoutError as exc:
            raise FetchError(
                f"fetching {url} took longer than {self.config.total_timeout} s"
            ) from exc
        except self._client_errors as exc:
            raise FetchError(f"fetching {url} failed: {exc.__class__.__name__}: {exc}") from exc

    # -- POST ----------------------------------------------------------------------------------
    async def deliver(self, inbox_url: str, body: bytes, signer: SigningKey) -> DeliveryResult:
        """POST a signed activity to an inbox; never raises for peer behaviour."""
        try:
            check_url(inbox_url, allow_private=self.config.allow_private_network)
        except AddressNotAllowed as exc:
            return DeliveryResult(status=None, error=str(exc), is_refused=True)
        signed = await asyncio.get_running_loop().run_in_executor(
            self._sign_pool, sign_request, signer, "POST", inbox_url, body, self._now()
        )
        headers = {"Content-Type": ACTIVITY_JSON, **signed}
        try:
            async with (
                asyncio.timeout(self.config.total_timeout),
                self.session.post(
                    inbox_url, data=body, headers=headers, allow_redirects=False
                ) as resp,
            ):
                with contextlib.suppress(ResponseTooLarge):
                    await _read_limited(resp, 64 * 1024)
                return DeliveryResult(
                    status=resp.status,
                    retry_after=_retry_after(resp.headers.get("Retry-After"), self._now()),
                )
        except AddressNotAllowed as exc:
            return DeliveryResult(status=None, error=str(exc), is_refused=True)
        except TimeoutError:
            return DeliveryResult(
                status=None, error=f"no answer within {self.config.total_timeout} s"
            )
        except self._client_errors + (OSError,) as exc:  # noqa: RUF005 - mypy types only this form
            return DeliveryResult(status=None, error=f"{exc.__class__.__name__}: {exc}")


async def _read_limited(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    declared = resp.content_length
    if declared is not None and declared > limit:
        raise ResponseTooLarge(f"{resp.url} declares {declared} bytes, over the {limit}-byte cap")
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise ResponseTooLarge(f"{resp.url} sent more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(url: str, body: bytes) -> JsonObject:
    try:
        return parse_json_object(body)
    except InvalidDocument as exc:
        raise FetchError(f"{url}: {exc}", is_permanent=True) from exc


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


MAX_RETRY_AFTER_SECONDS = 86_400.0


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait, from delay-seconds or an HTTP-date, clamped to [0, one day]; None for
    anything else (garbage, a negative number, a date without a zone)."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return min(
            float(int(text[:12])) if len(text) <= 12 else MAX_RETRY_AFTER_SECONDS,
            MAX_RETRY_AFTER_SECONDS,
        )
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return min(max(0.0, (when - now).total_seconds()), MAX_RETRY_AFTER_SECONDS)
