"""The "domaines du SI" French authorities report their digital footprint on.

Source: Nantes Métropole, footprint of the information system 2021 (shared/seeds/000, 001).
"""

from __future__ import annotations

DOMAINS: tuple[str, ...] = (
    "Environnement utilisateur",
    "Environnement utilisateur mutualisé",
    "Environnement serveur",
    "Réseaux et télécoms",
    "Services numériques",
    "Services transverses",
    "Téléphonie",
    "Impression",
    "Radio",
    "Direction informatique",
)

UNASSIGNED = "Non affecté"

#: The domain a device kind falls in when the inventory does not say.
DEFAULT_DOMAIN_BY_KIND: dict[str, str] = {
    "desktop": "Environnement utilisateur",
    "laptop": "Environnement utilisateur",
    "monitor": "Environnement utilisateur",
    "thin_client": "Environnement utilisateur",
    "server": "Environnement serveur",
    "pdu": "Environnement serveur",
    "ups": "Environnement serveur",
    "facility_meter": "Environnement serveur",
    "switch": "Réseaux et télécoms",
    "router": "Réseaux et télécoms",
    "access_point": "Réseaux et télécoms",
    "poe_midspan": "Réseaux et télécoms",
    "printer": "Impression",
    "phone": "Téléphonie",
}
