"""One GLPI asset as read from a CSV export or the REST API: text fields, not yet interpreted.

GLPI's search engine names each column by a *search option* id. The ids below are the same for
the four itemtypes veille reads (``Computer``, ``Monitor``, ``NetworkEquipment``, ``PDU``) in
GLPI 9.5 to 11 (``rawSearchOptions()`` of each class, and ``Location::rawSearchOptionsToAdd``):
1 name, 2 id, 3 location (full path), 4 type, 5 serial number, 6 inventory number, 31 status,
80 entity (full path). ``Computer`` also has 47, the SMBIOS UUID. Dropdown paths are GLPI's
``completename``: ``Entité racine > Mairie > DSI``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Itemtype = Literal["Computer", "Monitor", "NetworkEquipment", "PDU"]
ITEMTYPES: tuple[Itemtype, ...] = ("Computer", "Monitor", "NetworkEquipment", "PDU")

Field = Literal[
    "name", "id", "location", "type", "serial", "otherserial", "status", "entity", "uuid"
]

#: GLPI search option id of each field (the keys of a ``search/<itemtype>`` row).
SEARCH_OPTION: dict[Field, int] = {
    "name": 1,
    "id": 2,
    "location": 3,
    "type": 4,
    "serial": 5,
    "otherserial": 6,
    "status": 31,
    "entity": 80,
    "uuid": 47,
}


def search_options(itemtype: Itemtype) -> list[int]:
    """The columns to ask GLPI for (``forcedisplay``); only ``Computer`` has a UUID."""
    return [n for f, n in SEARCH_OPTION.items() if f != "uuid" or itemtype == "Computer"]


@dataclass(frozen=True, slots=True)
class GlpiAsset:
    """An asset as GLPI gave it. Empty GLPI values are ``None``; ``where`` locates the row."""

    itemtype: Itemtype
    where: str
    name: str | None = None
    glpi_id: str | None = None
    location: str | None = None
    type: str | None = None
    serial: str | None = None
    otherserial: str | None = None
    status: str | None = None
    entity: str | None = None
    uuid: str | None = None

    def field(self, name: Field) -> str | None:
        """The value of ``name`` (``id`` is the GLPI item id)."""
        return self.glpi_id if name == "id" else getattr(self, name)  # type: ignore[no-any-return]
