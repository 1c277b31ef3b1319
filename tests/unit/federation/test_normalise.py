"""Every JSON-LD compaction servers send is read the same way, in one place, and never crashes."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from federation.documents import parse_activity, parse_object
from federation.errors import InvalidDocument
from federation.normalise import normalise
from federation.vocab import PUBLIC

AUTHOR = "https://remote.example/users/union"


def note(**fields: Any) -> dict[str, Any]:
    return {
        "id": "https://remote.example/notes/1",
        "type": "Note",
        "attributedTo": AUTHOR,
        "content": "<p>strike</p>",
        "to": [PUBLIC],
        **fields,
    }


@pytest.mark.parametrize(
    ("given_type", "read_as"),
    [
        (["Note", "Article"], "Note"),
        (["https://example.org/ns#Custom", "Article"], "Article"),
        ("as:Note", "Note"),
        ("https://www.w3.org/ns/activitystreams#Page", "Page"),
    ],
)
def test_a_type_list_or_prefixed_type_reads_as_the_first_known_type(
    given_type: Any, read_as: str
) -> None:
    assert parse_object(note(type=given_type)).type == read_as


@pytest.mark.parametrize("public", [PUBLIC, "as:Public", "Public", {"id": PUBLIC}])
def test_every_form_of_public_addressing_is_public(public: Any) -> None:
    data = parse_object(note(to=public))

    assert data.to == (PUBLIC,)
    assert data.is_public


@pytest.mark.parametrize(
    ("reply", "uri", "is_reply"),
    [
        ("https://x.example/1", "https://x.example/1", True),
        (["https://x.example/1", "https://x.example/2"], "https://x.example/1", True),
        ({"id": "https://x.example/1", "type": "Note"}, "https://x.example/1", True),
        ({"type": "Collection", "items": ["https://x.example/3"]}, "https://x.example/3", True),
        ({"type": "Collection", "totalItems": 0}, None, True),
        ([], None, False),
        (None, None, False),
    ],
)
def test_in_reply_to_in_any_shape_is_a_reply(reply: Any, uri: str | None, is_reply: bool) -> None:
    data = parse_object(note(inReplyTo=reply))

    assert (data.in_reply_to, data.is_reply) == (uri, is_reply)


@pytest.mark.parametrize(
    "url",
    [
        "https://remote.example/@u/1",
        {"type": "Link", "href": "https://remote.example/@u/1"},
        [
            {"type": "Link", "mediaType": "video/mp4", "href": "https://remote.example/v.mp4"},
            {"type": "Link", "mediaType": "text/html", "href": "https://remote.example/@u/1"},
        ],
    ],
)
def test_url_as_a_string_a_link_or_a_list_gives_the_web_page(url: Any) -> None:
    assert parse_object(note(url=url)).url == "https://remote.example/@u/1"


@pytest.mark.parametrize(
    "url",
    [
        "https://elsewhere.example/@u/1",  # another server
        {"type": "Link", "mediaType": "video/mp4", "href": "https://remote.example/v.mp4"},
        "javascript:alert(1)",
    ],
)
def test_a_url_that_is_not_the_posts_own_web_page_is_not_its_permalink(url: Any) -> None:
    assert parse_object(note(url=url)).url is None


def test_content_missing_comes_from_the_language_map_with_its_language() -> None:
    document = note(contentMap={"ar": "<p>إضراب</p>"})
    del document["content"]

    data = parse_object(document)

    assert (data.content, data.language) == ("<p>إضراب</p>", "ar")


def test_a_post_without_a_language_has_none_never_a_guess() -> None:
    assert parse_object(note()).language == ""


def test_a_name_without_content_is_kept() -> None:
    document = note(type="Page", name="A headline")
    del document["content"]

    data = parse_object(document)

    assert (data.name, data.content) == ("A headline", "")


@pytest.mark.parametrize(
    "tag",
    [
        {"type": "Hashtag", "name": "#with white space"},
        [{"type": "Hashtag", "name": "with white space"}],
    ],
)
def test_hashtags_as_an_object_or_a_list_are_stored_without_spaces(tag: Any) -> None:
    assert parse_object(note(tag=tag)).hashtags == ("withwhitespace",)


@pytest.mark.parametrize(
    ("attachment", "url", "media_type"),
    [
        ({"type": "Document", "url": "https://r.example/a.jpg", "mediaType": "image/jpeg"},
         "https://r.example/a.jpg", "image/jpeg"),
        ({"type": "Link", "href": "https://r.example/b.png"}, "https://r.example/b.png", ""),
        ({"type": "Image", "url": {"type": "Link", "href": "https://r.example/c.webp",
                                   "mediaType": "image/webp"}},
         "https://r.example/c.webp", "image/webp"),
        ({"type": "Video", "url": [{"type": "Link", "href": "https://r.example/d.mp4",
                                    "mediaType": "video/mp4"}]},
         "https://r.example/d.mp4", "video/mp4"),
        ("https://r.example/e.png", "https://r.example/e.png", ""),
    ],
)  # fmt: skip
def test_attachments_in_every_shape_are_kept(attachment: Any, url: str, media_type: str) -> None:
    [kept] = parse_object(note(attachment=attachment)).attachments

    assert (kept.url, kept.media_type) == (url, media_type)


def test_an_attachments_alt_text_sensitivity_size_and_blurhash_are_kept() -> None:
    attachment = {
        "type": "Document",
        "mediaType": "image/jpeg",
        "url": "https://r.example/a.jpg",
        "name": "Workers at the gate",
        "sensitive": True,
        "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
        "width": 1200,
        "height": 800,
    }

    [kept] = parse_object(note(attachment=[attachment])).attachments

    assert kept.name == "Workers at the gate"
    assert kept.sensitive
    assert (kept.width, kept.height, kept.blurhash) == (1200, 800, attachment["blurhash"])


@pytest.mark.parametrize("field", ["quote", "quoteUrl", "quoteUri", "_misskey_quote"])
def test_a_quote_post_names_what_it_quotes(field: str) -> None:
    assert parse_object(note(**{field: "https://x.example/q"})).quote == "https://x.example/q"


def test_a_poll_keeps_its_options_and_votes() -> None:
    options = [{"type": "Note", "name": "yes", "replies": {"totalItems": 3}}, {"name": "no"}]

    data = parse_object(note(type="Question", anyOf=options))

    assert [(o.name, o.votes) for o in data.poll] == [("yes", 3), ("no", None)]
    assert data.poll_multiple


def test_an_activity_with_a_type_list_and_an_embedded_object_list_is_read() -> None:
    activity = parse_activity(
        {
            "id": "https://remote.example/a/1",
            "type": ["Create"],
            "actor": [{"id": AUTHOR, "type": "Person"}],
            "object": [note()],
        }
    )

    assert (activity.type, activity.actor_uri) == ("Create", AUTHOR)
    assert activity.object_uri == "https://remote.example/notes/1"
    assert activity.original is not None
    assert activity.original["type"] == ["Create"]


def test_an_activity_with_two_actors_is_refused() -> None:
    with pytest.raises(InvalidDocument):
        parse_activity(
            {"id": "https://x.example/1", "type": "Follow", "actor": [AUTHOR, AUTHOR + "2"]}
        )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = [
    "id", "type", "actor", "object", "attributedTo", "inReplyTo", "to", "cc", "url", "tag",
    "attachment", "content", "contentMap", "summary", "name", "nameMap", "sensitive",
    "published", "quoteUrl", "oneOf", "anyOf", "target",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=12))
def test_any_json_object_normalises_and_parses_or_is_refused_cleanly(doc: dict[str, Any]) -> None:
    normalised = normalise(doc)

    assert normalise(normalised) == normalised  # one shape: normalising again changes nothing
    for parse in (parse_object, parse_activity):
        with contextlib.suppress(InvalidDocument):
            parse(doc)
