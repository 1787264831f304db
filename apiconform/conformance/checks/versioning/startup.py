"""VER-CFG-01: an unknown versioning strategy stops start-up with an error that names the
value and lists the valid strategies."""

from __future__ import annotations

import secrets

from apiconform.conformance.checks.versioning.probes import section
from apiconform.conformance.context import CheckContext
from apiconform.conformance.patterns import mentions_all
from apiconform.conformance.registry import check, expect
from apiconform.conformance.startup import run_startup_probe


@check("VER-CFG-01")
def unknown_strategy_stops_startup(ctx: CheckContext) -> None:
    """THEN the configuration is validated on start-up, AND an invalid strategy throws
    an error: the process exits non-zero without serving, naming the strategy it was
    given (a name the suite made up) and listing the valid ones on one line."""
    command = ctx.probe("versioning.invalid_strategy")
    strategy = f"apiconform-{secrets.token_hex(4)}"
    result = run_startup_probe(ctx, command, {"strategy": strategy})
    expect(
        result.code is not None and result.code != 0 and not result.served,
        "VER-CFG-01.refused",
        f"with strategy {strategy!r} the target started (status {result.code}, "
        f"{'served' if result.served else 'did not serve'} on port {result.port})",
    )
    expect(
        strategy in result.errors,
        "VER-CFG-01.names-value",
        f"the error does not name the strategy {strategy!r}: {result.errors[-400:]!r}",
    )
    valid = section(ctx).strategies
    expect(
        mentions_all(result.errors, valid),
        "VER-CFG-01.lists-valid",
        f"the error does not list the valid strategies {valid}: {result.errors[-400:]!r}",
    )
