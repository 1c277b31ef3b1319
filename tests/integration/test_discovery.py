"""What Mastodon needs before it can follow anyone: WebFinger, actor documents, NodeInfo."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from actors.models import ActorKind
from tests.factories import make_actor
from tests.harness import Instance, asgi_instance

AS_ACCEPT = "application/activity+json"
LD_ACCEPT = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


async def test_webfinger_loops_back_to_the_actor_as_mastodon_requires(instance: Instance) -> None:
    await make_actor(instance.svc, "oil_workers", display_name="Oil Workers")

    jrd = await instance.http.get(
        "/.well-known/webfinger", params={"resource": f"acct:oil_workers@{instance.host}"}
    )
    self_href = next(link["href"] for link in jrd.json()["links"] if link["rel"] == "self")
    actor = (await instance.http.get(self_href, headers={"Accept": AS_ACCEPT})).json()
    again = await instance.http.get(
        "/.well-known/webfinger",
        params={"resource": f"acct:{actor['preferredUsername']}@{instance.host}"},
    )

    assert jrd.status_code == 200
    assert jrd.headers["content-type"] == "application/jrd+json"
    assert jrd.headers["access-control-allow-origin"] == "*"
    assert jrd.json()["subject"] == f"acct:oil_workers@{instance.host}"
    assert self_href == f"{instance.base_url}/actors/oil_workers"
    assert again.json()["subject"] == jrd.json()["subject"]
    assert (
        next(link["href"] for link in again.json()["links"] if link["rel"] == "self") == actor["id"]
    )


async def test_webfinger_answers_for_the_actor_url_too(instance: Instance) -> None:
    await make_actor(instance.svc, "oil_workers")

    by_uri = await instance.http.get(
        "/.well-known/webfinger", params={"resource": f"{instance.base_url}/actors/oil_workers"}
    )
    by_page = await instance.http.get(
        "/.well-known/webfinger", params={"resource": f"{instance.base_url}/@oil_workers"}
    )

    assert by_uri.status_code == 200
    assert by_uri.json()["subject"] == f"acct:oil_workers@{instance.host}"
    assert by_page.json()["subject"] == by_uri.json()["subject"]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 400),
        ({"resource": ""}, 400),
        ({"resource": "acct:"}, 400),
        ({"resource": "nobody"}, 400),
        ({"resource": "mailto:x@y"}, 400),
        ({"resource": "acct:ghost@127.0.0.1:8700"}, 404),
        ({"resource": "acct:oil_workers@elsewhere.example"}, 404),
        ({"resource": "https://elsewhere.example/actors/oil_workers"}, 404),
    ],
)
async def test_webfinger_refuses_missing_malformed_and_foreign_resources(
    instance: Instance, params: dict[str, str], status: int
) -> None:
    await make_actor(instance.svc, "oil_workers")

    response = await instance.http.get("/.well-known/webfinger", params=params)

    assert response.status_code == status
    assert response.json()["error"]
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("accept", [AS_ACCEPT, LD_ACCEPT])
async def test_actor_document_has_every_field_mastodon_reads(
    instance: Instance, accept: str
) -> None:
    await make_actor(
        instance.svc, "oil_workers", display_name="کارگران نفت", summary="News & strikes"
    )

    response = await instance.http.get("/actors/oil_workers", headers={"Accept": accept})
    doc = response.json()

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/activity+json")
    assert "Accept" in response.headers["vary"]
    assert doc["@context"][0] == "https://www.w3.org/ns/activitystreams"
    assert "https://w3id.org/security/v1" in doc["@context"]
    uri = f"{instance.base_url}/actors/oil_workers"
    assert doc["id"] == uri
    assert doc["type"] == "Organization"
    assert doc["preferredUsername"] == "oil_workers"
    assert doc["name"] == "کارگران نفت"
    assert doc["summary"] == "<p>News &amp; strikes</p>"
    assert doc["url"] == f"{instance.base_url}/@oil_workers"
    for field, suffix in [
        ("inbox", "/inbox"),
        ("outbox", "/outbox"),
        ("followers", "/followers"),
        ("following", "/following"),
        ("featured", "/featured"),
    ]:
        assert doc[field] == uri + suffix
    assert doc["endpoints"]["sharedInbox"] == f"{instance.base_url}/inbox"
    assert doc["publicKey"]["id"] == uri + "#main-key"
    assert doc["publicKey"]["owner"] == doc["id"]
    key = load_pem_public_key(doc["publicKey"]["publicKeyPem"].encode())
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.key_size == 2048
    assert doc["manuallyApprovesFollowers"] is False
    assert doc["discoverable"] is True
    assert doc["indexable"] is True
    assert doc["published"].endswith("Z")
    assert doc["attachment"] == []
    assert doc["alsoKnownAs"] == []
    assert doc["icon"]["type"] == "Image"
    assert doc["icon"]["url"].startswith(f"{instance.base_url}/media/")
    assert "privateKey" not in str(doc)


async def test_ids_are_all_on_our_host(instance: Instance) -> None:
    await make_actor(instance.svc, "oil_workers")

    doc = (await instance.http.get("/actors/oil_workers", headers={"Accept": AS_ACCEPT})).json()
    urls = [
        doc["id"],
        doc["inbox"],
        doc["outbox"],
        doc["followers"],
        doc["following"],
        doc["featured"],
        doc["publicKey"]["id"],
        doc["endpoints"]["sharedInbox"],
        doc["url"],
    ]

    assert all(u.startswith(instance.base_url + "/") for u in urls)


async def test_network_actor_is_a_group(instance: Instance) -> None:
    await make_actor(instance.svc, "solidarity", kind=ActorKind.network)

    doc = (await instance.http.get("/actors/solidarity", headers={"Accept": AS_ACCEPT})).json()

    assert doc["type"] == "Group"


async def test_instance_actor_is_an_application_that_can_sign(instance: Instance) -> None:
    doc = (await instance.http.get("/actor", headers={"Accept": AS_ACCEPT})).json()

    assert doc["type"] == "Application"
    assert doc["id"] == f"{instance.base_url}/actor"
    assert doc["publicKey"]["owner"] == doc["id"]
    assert doc["preferredUsername"]


async def test_icon_is_served_from_our_media_path(instance: Instance) -> None:
    await make_actor(instance.svc, "oil_workers")
    doc = (await instance.http.get("/actors/oil_workers", headers={"Accept": AS_ACCEPT})).json()

    icon = await instance.http.get(doc["icon"]["url"])

    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/png"
    assert icon.content.startswith(b"\x89PNG")


async def test_browsers_get_an_accessible_profile_page(instance: Instance) -> None:
    await make_actor(instance.svc, "oil_workers", display_name="کارگران نفت", language="fa")

    response = await instance.http.get("/actors/oil_workers", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<main" in response.text
    assert 'lang="fa" dir="rtl"' in response.text
    assert "کارگران نفت" in response.text
    assert f"@oil_workers@{instance.host}" in response.text


@pytest.mark.parametrize("accept", [AS_ACCEPT, "text/html"])
async def test_unknown_actor_is_404_in_both_forms(instance: Instance, accept: str) -> None:
    response = await instance.http.get("/actors/nobody", headers={"Accept": accept})

    assert response.status_code == 404


async def test_collections_are_paged_ordered_collections(instance: Instance) -> None:
    await make_actor(instance.svc, "oil_workers")

    head = (
        await instance.http.get("/actors/oil_workers/followers", headers={"Accept": AS_ACCEPT})
    ).json()
    page = (await instance.http.get(head["first"], headers={"Accept": AS_ACCEPT})).json()
    bad = await instance.http.get("/actors/oil_workers/followers?page=zero")

    assert head["type"] == "OrderedCollection"
    assert head["totalItems"] == 0
    assert page["type"] == "OrderedCollectionPage"
    assert page["partOf"] == head["id"]
    assert page["orderedItems"] == []
    assert bad.status_code == 400


async def test_hidden_collections_show_only_counts(instance: Instance) -> None:
    await make_actor(instance.svc, "at_risk", hide_collections=True)

    head = (
        await instance.http.get("/actors/at_risk/followers", headers={"Accept": AS_ACCEPT})
    ).json()
    paged = (
        await instance.http.get("/actors/at_risk/followers?page=1", headers={"Accept": AS_ACCEPT})
    ).json()

    assert head["totalItems"] == 0
    assert "first" not in head
    assert "orderedItems" not in paged


async def test_host_meta_points_at_webfinger(instance: Instance) -> None:
    xrd = await instance.http.get("/.well-known/host-meta")
    jrd = await instance.http.get("/.well-known/host-meta.json")

    template = f"{instance.base_url}/.well-known/webfinger?resource={{uri}}"
    assert xrd.headers["content-type"].startswith("application/xrd+xml")
    assert f'template="{template}"' in xrd.text
    assert jrd.json()["links"][0]["template"] == template


@pytest.mark.parametrize("version", ["2.0", "2.1"])
async def test_nodeinfo_describes_the_software_and_usage(instance: Instance, version: str) -> None:
    await make_actor(instance.svc, "oil_workers")
    await make_actor(instance.svc, "solidarity", kind=ActorKind.network)

    links = (await instance.http.get("/.well-known/nodeinfo")).json()["links"]
    href = next(link["href"] for link in links if link["rel"].endswith(version))
    doc = (await instance.http.get(href)).json()

    assert doc["version"] == version
    assert doc["software"]["name"] == "hambastegi"
    assert doc["software"]["version"]
    assert doc["protocols"] == ["activitypub"]
    assert doc["openRegistrations"] is False
    assert doc["usage"]["users"]["total"] == 2
    assert doc["usage"]["localPosts"] == 0


async def test_unknown_nodeinfo_version_is_404(instance: Instance) -> None:
    assert (await instance.http.get("/nodeinfo/9.9")).status_code == 404


async def test_the_contact_address_is_on_the_about_page_and_in_nodeinfo(tmp_path: Path) -> None:
    async with asgi_instance(tmp_path, contact_email="admins@solidarity.example") as instance:
        about = await instance.http.get("/about")
        links = (await instance.http.get("/.well-known/nodeinfo")).json()["links"]
        doc = (await instance.http.get(links[-1]["href"])).json()

    assert 'href="mailto:admins@solidarity.example"' in about.text
    assert doc["metadata"]["contactEmail"] == "admins@solidarity.example"


async def test_without_a_contact_address_none_is_shown(instance: Instance) -> None:
    about = await instance.http.get("/about")
    links = (await instance.http.get("/.well-known/nodeinfo")).json()["links"]
    doc = (await instance.http.get(links[-1]["href"])).json()

    assert "mailto:" not in about.text
    assert "contactEmail" not in doc["metadata"]


async def test_webfinger_says_where_our_people_follow_what_they_found_elsewhere(
    instance: Instance,
) -> None:
    await make_actor(instance.svc, "oil_workers")
    jrd = (
        await instance.http.get(
            "/.well-known/webfinger", params={"resource": f"acct:oil_workers@{instance.host}"}
        )
    ).json()
    [template] = [
        link["template"]
        for link in jrd["links"]
        if link["rel"] == "http://ostatus.org/schema/1.0/subscribe"
    ]
    sent_on = await instance.http.get(template.replace("{uri}", "https%3A%2F%2Fx.example%2Fu"))

    assert template == f"{instance.base_url}/authorize_interaction?uri={{uri}}"
    assert sent_on.status_code == 303
    assert sent_on.headers["location"] == (
        "/desk/authorize_interaction?uri=https%3A%2F%2Fx.example%2Fu"
    )
