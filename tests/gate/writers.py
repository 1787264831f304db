"""Writers of the three text formats, for round-trip tests: they follow what istanbul
(LCOV), coverage.py (Cobertura, JSON) emit, from a plain description of a report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr


@dataclass
class SampleFile:
    """Hits per line, per branch outcome (a list per line) and per function."""

    lines: dict[int, int]
    branches: dict[int, list[int]] = field(default_factory=dict)
    functions: dict[tuple[int, str], int] = field(default_factory=dict)


def write_lcov(files: dict[str, SampleFile]) -> str:
    out = []
    for path, f in files.items():
        out += ["TN:", f"SF:{path}"]
        out += [f"FN:{line},{name}" for line, name in f.functions]
        out += [f"FNF:{len(f.functions)}", f"FNH:{sum(1 for h in f.functions.values() if h)}"]
        out += [f"FNDA:{hits},{name}" for (_, name), hits in f.functions.items()]
        out += [f"DA:{line},{hits}" for line, hits in sorted(f.lines.items())]
        out += [f"LF:{len(f.lines)}", f"LH:{sum(1 for h in f.lines.values() if h)}"]
        for block, (line, outcomes) in enumerate(sorted(f.branches.items())):
            out += [f"BRDA:{line},{block},{i},{hits}" for i, hits in enumerate(outcomes)]
        outcomes = [h for o in f.branches.values() for h in o]
        out += [f"BRF:{len(outcomes)}", f"BRH:{sum(1 for h in outcomes if h)}"]
        out.append("end_of_record")
    return "\n".join(out) + "\n"


def write_cobertura(files: dict[str, SampleFile], source: str = "/src") -> str:
    out = ['<?xml version="1.0" ?>', '<coverage version="7.5">', "<sources>"]
    out += [f"<source>{source}</source>", "</sources>", "<packages><package><classes>"]
    for path, f in files.items():
        out.append(f"<class name={quoteattr(path)} filename={quoteattr(path)}><methods/><lines>")
        for line, hits in sorted(f.lines.items()):
            outcomes = f.branches.get(line)
            if outcomes:
                taken = sum(1 for h in outcomes if h)
                out.append(
                    f'<line number="{line}" hits="{hits}" branch="true" condition-coverage='
                    f'"{taken * 100 // len(outcomes)}% ({taken}/{len(outcomes)})"/>'
                )
            else:
                out.append(f'<line number="{line}" hits="{hits}"/>')
        out.append("</lines></class>")
    out.append("</classes></package></packages></coverage>")
    return "\n".join(out) + "\n"


def write_coveragepy_json(files: dict[str, SampleFile]) -> str:
    report = {}
    for path, f in files.items():
        executed = sorted(n for n, h in f.lines.items() if h)
        missing = sorted(n for n, h in f.lines.items() if not h)
        arcs = [
            ([line, -i - 1], hits)
            for line, outcomes in f.branches.items()
            for i, hits in enumerate(outcomes)
        ]
        report[path] = {
            "executed_lines": executed,
            "missing_lines": missing,
            "summary": {"num_statements": len(f.lines), "covered_lines": len(executed)},
            "executed_branches": [a for a, h in arcs if h],
            "missing_branches": [a for a, h in arcs if not h],
            "functions": {
                name: {
                    "start_line": line,
                    "summary": {"num_statements": 1, "covered_lines": int(hits > 0)},
                }
                for (line, name), hits in f.functions.items()
            },
        }
    return json.dumps({"meta": {"format": 3, "branch_coverage": True}, "files": report}, indent=4)
