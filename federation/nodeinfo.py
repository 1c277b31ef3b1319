"""NodeInfo 2.0 and 2.1 discovery and documents (nodeinfo.diaspora.software)."""

from __future__ import annotations

from dataclasses import dataclass

from federation.vocab import JsonObject

VERSIONS = ("2.0", "2.1")


@dataclass(frozen=True)
class Usage:
    users_total: int
    users_active_month: int
    users_active_halfyear: int
    local_posts: int


def discovery(base_url: str) -> JsonObject:
    return {
        "links": [
            {
                "rel": f"http://nodeinfo.diaspora.software/ns/schema/{v}",
                "href": f"{base_url}/nodeinfo/{v}",
            }
            for v in VERSIONS
        ]
    }


def document(
    version: str, *, software: str, software_version: str, usage: Usage, metadata: JsonObject
) -> JsonObject:
    if version not in VERSIONS:
        raise ValueError(f"unsupported NodeInfo version {version}")
    info: JsonObject = {"name": software, "version": software_version}
    return {
        "version": version,
        "software": info,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
        "openRegistrations": False,
        "usage": {
            "users": {
                "total": usage.users_total,
                "activeMonth": usage.users_active_month,
                "activeHalfyear": usage.users_active_halfyear,
            },
            "localPosts": usage.local_posts,
        },
        "metadata": metadata,
    }
