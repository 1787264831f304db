"""OBS-PROM-02: every series says where it comes from (environment, service, version);
HTTP series carry method, path and status code; no per-request id is ever a label."""

from __future__ import annotations

from apiconform.conformance.checks.observability.exposition import REQUESTS, scrape
from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import new_id, tagged
from apiconform.conformance.registry import check, expect

CONSTANT = ("environment", "service", "version")
HTTP = ("method", "path", "status_code")


@check("OBS-PROM-02")
def series_carry_the_spec_labels(ctx: CheckContext) -> None:
    """Each application series has `environment`, `service` and `version` labels; HTTP
    series have `method`, `path` and `status_code`; the correlation id of a request (a
    nonce the suite sent) is never a label value."""
    client = ctx.client()
    nonce = new_id()
    client.get("/", headers=tagged(nonce))
    client.get(f"/{new_id('missing')}", headers=tagged(nonce))
    found = scrape(ctx)
    unlabelled = sorted(
        {
            s.name
            for s in found.application_samples()
            if not all(s.labels.get(name) for name in CONSTANT)
        }
    )
    expect(
        not unlabelled,
        "OBS-PROM-02.constant-labels",
        f"series without {', '.join(CONSTANT)} labels: {unlabelled[:10]}",
    )
    http = found.samples(f"{REQUESTS}_total")
    lacking = [s.labels for s in http if not all(name in s.labels for name in HTTP)]
    expect(
        bool(http) and not lacking,
        "OBS-PROM-02.http-labels",
        f"{REQUESTS}_total series need {', '.join(HTTP)} labels: "
        f"{lacking[:3] if http else 'there are none'}",
    )
    leaked = sorted({v for v in found.label_values() if nonce in v})
    expect(
        not leaked,
        "OBS-PROM-02.no-request-ids",
        f"the request's correlation id {nonce} is a label value: {leaked[:3]}",
    )
