"""The network's words, written once: strike statuses, campaign statuses and sectors, each a
value (stored, federated in `hb:` fields, used in URLs) with its label (marked for
translation, shown in the reader's or the post's language)."""

from __future__ import annotations

from enum import StrEnum


def _(text: str) -> str:
    """Marks a label for extraction; translated where it is shown."""
    return text


class StrikeStatus(StrEnum):
    ongoing = "ongoing"
    suspended = "suspended"
    won = "won"
    lost = "lost"
    ended = "ended"


class CampaignStatus(StrEnum):
    detained = "detained"
    sentenced = "sentenced"
    on_bail = "on_bail"
    released = "released"


class Sector(StrEnum):
    oil_gas = "oil_gas"
    petrochemicals = "petrochemicals"
    mining = "mining"
    steel_metal = "steel_metal"
    manufacturing = "manufacturing"
    textiles = "textiles"
    sugar_food = "sugar_food"
    agriculture = "agriculture"
    construction = "construction"
    transport = "transport"
    ports_shipping = "ports_shipping"
    education = "education"
    health = "health"
    public_services = "public_services"
    municipal = "municipal"
    retail = "retail"
    telecoms = "telecoms"
    energy_utilities = "energy_utilities"
    other = "other"


STRIKE_STATUS: dict[str, str] = {
    StrikeStatus.ongoing: _("ongoing"),
    StrikeStatus.suspended: _("suspended"),
    StrikeStatus.won: _("won"),
    StrikeStatus.lost: _("lost"),
    StrikeStatus.ended: _("ended"),
}
CAMPAIGN_STATUS: dict[str, str] = {
    CampaignStatus.detained: _("detained"),
    CampaignStatus.sentenced: _("sentenced"),
    CampaignStatus.on_bail: _("on bail"),
    CampaignStatus.released: _("released"),
}
SECTOR_NAMES: dict[str, str] = {
    Sector.oil_gas: _("oil and gas"),
    Sector.petrochemicals: _("petrochemicals"),
    Sector.mining: _("mining"),
    Sector.steel_metal: _("steel and metal"),
    Sector.manufacturing: _("manufacturing"),
    Sector.textiles: _("textiles"),
    Sector.sugar_food: _("sugar and food"),
    Sector.agriculture: _("agriculture"),
    Sector.construction: _("construction"),
    Sector.transport: _("transport"),
    Sector.ports_shipping: _("ports and shipping"),
    Sector.education: _("education"),
    Sector.health: _("health"),
    Sector.public_services: _("public services"),
    Sector.municipal: _("municipal services"),
    Sector.retail: _("retail"),
    Sector.telecoms: _("telecommunications"),
    Sector.energy_utilities: _("energy and utilities"),
    Sector.other: _("other sectors"),
}
SECTORS: tuple[str, ...] = tuple(Sector)  # in the order forms offer them
