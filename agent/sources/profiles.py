"""Default power profiles per device kind, in watts: the table is :mod:`contract.kinds`, each
figure with the public source it comes from.

Used by the model estimate when nothing measures (DOMAIN.md, "Estimating power"). A profile
in ``agent.toml`` overrides any value. Servers scale with their logical CPUs and memory (Cloud
Carbon Footprint's coefficients); other kinds are fixed figures. Values marked in DOMAIN.md
as "to check" must be checked before a report prints them; the estimate is always labelled
``estimated``.
"""

from __future__ import annotations

from contract.kinds import KINDS, KindProfile

__all__ = ["KindProfile", "profile_for"]


def profile_for(kind: str) -> KindProfile:
    """The default power profile of ``kind`` (:mod:`contract.kinds`); a desktop's if it has none."""
    known = KINDS.get(kind)
    if known is not None and known.profile is not None:
        return known.profile
    profile = KINDS["desktop"].profile
    assert profile is not None
    return profile
