"""Over- and under-admission of a rate-limited route, from the answers counted per window
(``admitted|<window end>`` and ``refused|<window end>``, window ends in Unix seconds)."""

from __future__ import annotations

from collections.abc import Mapping


def windows(counters: Mapping[str, int], ttl: float) -> list[tuple[int, int, int]]:
    """``(window end, admitted, refused)`` per window, oldest first. Ends a second apart
    are one window when windows are longer than that (a Reset given in seconds from now
    rounds to either side of a second)."""
    ends: dict[int, list[int]] = {}
    for name, count in counters.items():
        kind, _, text = name.partition("|")
        if kind in ("admitted", "refused") and text.isdigit():
            ends.setdefault(int(text), [0, 0])[kind == "refused"] += count
    merge_within = 1 if ttl >= 3 else 0
    found: list[list[int]] = []
    for end in sorted(ends):
        admitted, refused = ends[end]
        if found and end - found[-1][0] <= merge_within:
            found[-1][1] += admitted
            found[-1][2] += refused
        else:
            found.append([end, admitted, refused])
    return [(end, admitted, refused) for end, admitted, refused in found]


def admission(counters: Mapping[str, int], limit: int, ttl: float) -> dict[str, float]:
    """``over_admitted``: admissions beyond the limit, summed over the windows;
    ``under_admitted``: refusals while the window still had quota, the first window left
    out (quota used before the run began is not seen)."""
    seen = windows(counters, ttl)
    if not seen:
        nan = float("nan")
        return {"windows": 0, "over_admitted": nan, "under_admitted": nan}
    over = sum(max(0, admitted - limit) for _, admitted, _ in seen)
    under = sum(
        min(refused, limit - admitted) for _, admitted, refused in seen[1:] if admitted < limit
    )
    return {
        "windows": len(seen),
        "over_admitted": float(over),
        "under_admitted": float(under),
        "admitted": float(sum(a for _, a, _ in seen)),
        "refused": float(sum(r for _, _, r in seen)),
    }
