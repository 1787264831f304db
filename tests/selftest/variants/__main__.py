"""``python -m tests.selftest.variants <variant> <apiconform arguments...>``"""

from __future__ import annotations

import sys

from tests.selftest.variants import VARIANTS


def main(argv: list[str]) -> int:
    variant, *rest = argv
    VARIANTS[variant]()
    from apiconform.cli import main as cli_main

    return cli_main(rest)


sys.exit(main(sys.argv[1:]))
