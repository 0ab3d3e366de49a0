"""The "domaines du SI" French authorities report their digital footprint on.

Source: Nantes Métropole, footprint of the information system 2021 (shared/seeds/000, 001).
"""

from __future__ import annotations

from contract.kinds import kind_of

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


def default_domain(kind: str) -> str:
    """The domain a device of ``kind`` falls in when the inventory does not say."""
    return kind_of(kind).domain or UNASSIGNED
