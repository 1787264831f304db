"""``python -m tests.selftest.variants <variant> <apiconform arguments...>``, or
``... <variant> demo-startup <case> [options]`` for the demo's start-up probes."""

from __future__ import annotations

import sys

from tests.selftest.variants import VARIANTS


def main(argv: list[str]) -> int:
    variant, *rest = argv
    VARIANTS[variant].apply()
    if rest[:1] == ["demo-startup"]:
        from apiconform.reference.demo import startup

        return startup.main(rest[1:])
    from apiconform.cli import main as cli_main

    return cli_main(rest)


sys.exit(main(sys.argv[1:]))
