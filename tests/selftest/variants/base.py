"""What a variant of the demo is, and the registry the self-test reads.

A *broken* variant has one defect and declares what it kills: for each requirement it
breaks, the id of the assertion that must catch it (``{"ERR-PD-01":
"problem.media-type"}``). A *legit* variant is correct but different (other probe paths,
other wording, other log shapes) and must pass every check. Both patch the demo inside
the target's process before it starts (``python -m tests.selftest.variants <name> ...``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ManifestEdit = Callable[[dict[str, Any]], None]

ERRORS = "add-error-handling"
SCOPES = "add-application-scopes"


@dataclass(frozen=True)
class Variant:
    """One variant of the demo.

    ``kills`` maps each requirement the defect breaks to the assertion that fails it.
    ``skips`` are requirements the defect leaves unobservable (their check skips);
    ``observes`` are ones the plain demo cannot show and this variant makes observable.
    ``manifest`` edits the manifest (as data) the suite gets for this variant."""

    name: str
    proposals: tuple[str, ...]
    apply: Callable[[], None]
    kills: Mapping[str, str] = field(default_factory=dict)
    legit: bool = False
    skips: frozenset[str] = frozenset()
    observes: frozenset[str] = frozenset()
    manifest: ManifestEdit | None = None
    claims: tuple[str, ...] = ()

    @property
    def doc(self) -> str:
        return (self.apply.__doc__ or "").strip().split("\n")[0]


VARIANTS: dict[str, Variant] = {}


def register(variant: Variant) -> Variant:
    if variant.name in VARIANTS:
        raise ValueError(f"variant {variant.name} is registered twice")
    VARIANTS[variant.name] = variant
    return variant


def _name(fn: Callable[[], None]) -> str:
    return fn.__name__.replace("_", "-")


def broken(
    proposal: str,
    kills: Mapping[str, str],
    *,
    skips: Iterable[str] = (),
    observes: Iterable[str] = (),
    claims: tuple[str, ...] = (),
    manifest: ManifestEdit | None = None,
) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Register the decorated patch function as a broken variant of ``proposal``."""

    def add(fn: Callable[[], None]) -> Callable[[], None]:
        register(
            Variant(
                _name(fn),
                (proposal,),
                fn,
                dict(kills),
                skips=frozenset(skips),
                observes=frozenset(observes),
                claims=claims,
                manifest=manifest,
            )
        )
        return fn

    return add


def legit(
    *, manifest: ManifestEdit | None = None, observes: Iterable[str] = ()
) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Register the decorated patch function as a correct-but-different variant, checked
    against both built proposals."""

    def add(fn: Callable[[], None]) -> Callable[[], None]:
        register(
            Variant(
                _name(fn),
                (SCOPES, ERRORS),
                fn,
                legit=True,
                manifest=manifest,
                observes=frozenset(observes),
            )
        )
        return fn

    return add


def each(requirements: Iterable[str], assertion: str) -> dict[str, str]:
    """The same assertion failing each of ``requirements``."""
    return dict.fromkeys(requirements, assertion)


# checks whose every stimulus is judged as a problem (RFC 9457 shape first)
RENDERED = (
    "ERR-PD-01",
    "ERR-PD-02",
    "ERR-EXC-01",
    "ERR-EXC-02",
    "ERR-EXC-03",
    "ERR-VAL-01",
    "ERR-FILTER-01",
)
# the first assertion of each filter check, failed when no probe filter's stamp is read
UNSTAMPED = {
    "ERR-REG-01": "ERR-REG-01.unfiltered",
    "ERR-REG-02": "ERR-REG-02.outranks-global",
    "ERR-REG-03": "ERR-REG-03.highest",
    "ERR-ORDER-01": "ERR-ORDER-01.route-first",
}
# the checks that read the crash's error log line
ERROR_LOG = ("ERR-CORR-02", "ERR-LOG-01", "ERR-CTX-01")
