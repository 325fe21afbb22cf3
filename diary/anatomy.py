"""Spinal regions, facet joint levels and sides, as offered on the block form. Flask-free."""

from __future__ import annotations

from diary.vocabulary import Region, Side

REGIONS: dict[str, str] = {
    Region.CERVICAL: "Cervical",
    Region.THORACIC: "Thoracic",
    Region.LUMBAR: "Lumbar",
}


def _joints(vertebrae: list[str]) -> list[str]:
    return [f"{upper}-{lower}" for upper, lower in zip(vertebrae, vertebrae[1:], strict=False)]


# Facet joints named by the two vertebrae they join; medial branch blocks are
# ordered by the joint they target. Cervicothoracic and thoracolumbar junctions
# belong to the region above.
LEVELS: dict[str, list[str]] = {
    "cervical": _joints(["C2", "C3", "C4", "C5", "C6", "C7", "T1"]),
    "thoracic": _joints([f"T{n}" for n in range(1, 13)] + ["L1"]),
    "lumbar": _joints(["L1", "L2", "L3", "L4", "L5", "S1"]),
}

SIDES: dict[str, str] = {Side.LEFT: "Left", Side.RIGHT: "Right", Side.BILATERAL: "Bilateral"}


def levels_in_spine_order(region: str, levels: list[str]) -> list[str]:
    """``levels`` sorted head to tail, dropping duplicates; unknown names raise ValueError."""
    known = LEVELS[region]
    unknown = [level for level in levels if level not in known]
    if unknown:
        raise ValueError(f"not a {region} level: {', '.join(unknown)}")
    return sorted(set(levels), key=known.index)
