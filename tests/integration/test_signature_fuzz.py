"""No unauthenticated request can make the inbox answer 5xx: absurd signature times, and any
Signature, Signature-Input, Digest or Content-Digest header (Hypothesis, through HTTP)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.harness import Instance, asgi_instance

AS = "application/activity+json"
BODY = orjson.dumps(
    {
        "id": "http://127.0.0.1:9/activities/1",
        "type": "Follow",
        "actor": "http://127.0.0.1:9/users/x",
        "object": "http://127.0.0.1:8700/actors/nobody",
    }
)
HUGE = "99999999999999999999"


@pytest.fixture
async def instance(tmp_path: Path) -> AsyncIterator[Instance]:
    async with asgi_instance(tmp_path) as inst:
        yield inst


@pytest.mark.parametrize(
    "headers",
    [
        {"signature": f'keyId="http://127.0.0.1:9/k",algorithm="hs2019",created={HUGE},'
                      'headers="(request-target) (created)",signature="AAAA"'},
        {"signature": f'keyId="http://127.0.0.1:9/k",algorithm="hs2019",created=1,expires={HUGE},'
                      'headers="(request-target) (created) (expires)",signature="AAAA"'},
        {"signature": 'keyId="http://127.0.0.1:9/k",algorithm="hs2019",created=-5,'
                      'headers="(request-target) (created)",signature="AAAA"'},
        {"signature": 'keyId="http://127.0.0.1:9/k",algorithm="hs2019",created=inf,'
                      'headers="(request-target) (created)",signature="AAAA"'},
        {"signature-input": f'sig1=("@method" "@target-uri");created=1;expires={HUGE};'
                            'keyid="http://127.0.0.1:9/k"',
         "signature": "sig1=:AAAA:"},
        {"signature-input": f'sig1=("@method" "@target-uri");created={HUGE};'
                            'keyid="http://127.0.0.1:9/k"',
         "signature": "sig1=:AAAA:"},
    ],
)  # fmt: skip
async def test_absurd_signature_times_are_401_never_500(
    instance: Instance, headers: dict[str, str]
) -> None:
    response = await instance.http.post(
        "/inbox", content=BODY, headers={"content-type": AS, **headers}
    )

    assert response.status_code == 401, response.text


header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200)
header_names = st.sampled_from(["signature", "signature-input", "digest", "content-digest"])


async def test_any_signature_or_digest_header_is_refused_cleanly(instance: Instance) -> None:
    loop = asyncio.get_running_loop()

    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.dictionaries(header_names, header_text, min_size=1, max_size=4))
    def check(headers: dict[str, str]) -> None:
        response = asyncio.run_coroutine_threadsafe(
            instance.http.post("/inbox", content=BODY, headers={"content-type": AS, **headers}),
            loop,
        ).result(timeout=30)
        assert response.status_code in (400, 401, 403), (headers, response.status_code)

    await asyncio.to_thread(check)


async def test_a_key_that_cannot_be_fetched_tells_the_sender_nothing_about_our_network(
    instance: Instance,
) -> None:
    from datetime import UTC, datetime

    from federation.keys import SigningKey, generate_private_key
    from federation.signatures import sign_request

    key = SigningKey(
        key_id="http://127.0.0.1:9/users/x#main-key", private_key=generate_private_key()
    )
    url = f"{instance.base_url}/inbox"
    headers = sign_request(key, "POST", url, BODY, datetime.now(UTC))

    response = await instance.http.post(
        "/inbox", content=BODY, headers={**headers, "content-type": AS}
    )

    assert response.status_code == 401
    reason = response.json()["error"].lower()
    assert "could not be fetched" in reason
    for leak in ("refused", "connect", "dns", "errno", "127.0.0.1:9", "tls", "ssl", "timeout"):
        assert leak not in reason, reason
