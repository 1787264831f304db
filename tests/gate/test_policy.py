"""Policy files and presets: defaults, validation errors naming the file and field."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from apiconform.gate.errors import GateInputError
from apiconform.gate.policy import load_policy, parse_policy, presets
from tests.gate.conftest import REPO


def test_without_a_policy_the_seed_thresholds_apply() -> None:
    policy = load_policy(None)
    assert (policy.overall.lines, policy.overall.branches, policy.overall.functions) == (95, 85, 95)
    assert policy.changed.lines == 95
    assert policy.rules == []
    assert (policy.badge.metric, policy.badge.green, policy.badge.yellow) == ("lines", 90, 75)


def test_the_cmmv_preset_carries_the_seeds_per_package_table() -> None:
    assert "cmmv" in presets()
    policy = load_policy("cmmv")
    targets = {rule.label: rule.lines for rule in policy.rules}
    assert targets == {
        "@cmmv/vault": 95,
        "@cmmv/auth": 95,
        "@cmmv/throttler": 90,
        "@cmmv/http": 85,
        "@cmmv/ws": 85,
        "@cmmv/core": 85,
        "@cmmv/protobuf": 80,
        "@cmmv/graphql": 80,
        "@cmmv/repository": 80,
        "@cmmv/cache": 75,
        "@cmmv/openapi": 75,
        "@cmmv/email": 75,
        "@cmmv/keyv": 75,
    }
    excluded = policy.excluded()
    for path in (
        "packages/vault/lib/a.spec.ts",
        "a.test.ts",
        "packages/x/y.mock.ts",
        "packages/http/dist/index.js",
        "build/x.js",
        "packages/core/.generated/c.ts",
    ):
        assert excluded(path), path
    assert not excluded("packages/vault/lib/vault.service.ts")
    # Each exclusion matches whole names, not prefixes: a React component's source and
    # its .tsx test stay in, and a folder merely starting with "dist" is not dist/.
    for path in (
        "packages/ui/lib/Button.spec.tsx",
        "packages/ui/lib/Button.test.tsx",
        "packages/ui/lib/api.mock.tsx",
        "packages/ui/distribution/a.ts",
    ):
        assert not excluded(path), path


def test_the_repos_own_policy_gates_the_security_packages() -> None:
    policy = load_policy(str(REPO / "coverage-policy.toml"))
    assert (policy.overall.lines, policy.overall.branches) == (95, 85)
    assert {tuple(r.paths): r.lines for r in policy.rules} == {
        ("apiconform/reference/throttling/**",): 95,
        ("apiconform/reference/auth/**",): 95,
    }
    assert policy.excluded()("tests/gate/test_policy.py")


def test_a_file_wins_over_a_preset_of_the_same_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cmmv").write_text("[overall]\nlines = 10\n")
    assert load_policy("cmmv").overall.lines == 10


def test_thresholds_are_exact_decimals_and_can_be_off() -> None:
    policy = parse_policy("p.toml", '[overall]\nlines = 95.1\nfunctions = "off"\n')
    assert policy.overall.lines == Decimal("95.1")
    assert policy.overall.functions is None
    assert policy.overall.branches == 85


def test_a_rule_may_check_any_metric() -> None:
    policy = parse_policy("p.toml", '[[rules]]\npaths = ["src/**"]\nbranches = 70\n')
    rule = policy.rules[0]
    assert (rule.lines, rule.branches, rule.functions, rule.label) == (None, 70, None, "src/**")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[overall]\nlines = 101\n",
            "p.toml: invalid policy: overall.lines: Input should be less than or equal to 100",
        ),
        (
            "[overall]\nline = 90\n",
            "p.toml: invalid policy: overall.line: Extra inputs are not permitted",
        ),
        (
            "[[rules]]\npaths = []\n",
            "p.toml: invalid policy: rules.0.paths: "
            "List should have at least 1 item after validation, not 0",
        ),
        (
            '[[rules]]\npaths = ["a/**"]\n[[rules]]\npaths = [""]\nlines = 5\n',
            "p.toml: invalid policy: rules.1.paths: Value error, empty glob ''",
        ),
        ('exclude = ["/"]\n', "p.toml: invalid policy: exclude: Value error, empty glob '/'"),
        (
            'exclude = ["a.py", "[z-a].py"]\n',
            "p.toml: invalid policy: exclude: Value error, "
            "bad glob '[z-a].py': bad character range z-a",
        ),
        (
            "[badge]\ngreen = 70\nyellow = 80\n",
            "p.toml: invalid policy: badge: Value error, yellow must not be above green",
        ),
        (
            '[badge]\nmetric = "statements"\n',
            "p.toml: invalid policy: badge.metric: "
            "Input should be 'lines', 'branches' or 'functions'",
        ),
        ("[overall]\nlines = \n", "p.toml: invalid TOML: Invalid value (at line 2, column 9)"),
    ],
)
def test_bad_policies_name_the_file_and_the_field_or_line(text: str, message: str) -> None:
    with pytest.raises(GateInputError) as caught:
        parse_policy("p.toml", text)
    assert str(caught.value) == message


def test_an_unknown_policy_names_the_presets(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.toml")
    with pytest.raises(GateInputError) as caught:
        load_policy(missing)
    assert (
        str(caught.value)
        == f"{missing}: cannot read policy: No such file or directory (presets: cmmv)"
    )


def test_a_policy_that_is_not_text_is_bad_input(tmp_path: Path) -> None:
    binary = tmp_path / "p.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(GateInputError, match="cannot read policy: not UTF-8 text"):
        load_policy(str(binary))
