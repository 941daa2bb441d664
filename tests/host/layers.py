#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The host side's shell library, read as layers: every function a file uses
must be defined in a file sourced before it (a lower layer), never beside or
above it.

The order is the one the scripts source the files in: the libraries as
tests/host/harness.sh lists them (tests/lib/checks.sh among them), then the
test files as tests/host/check.sh lists them after harness.sh. A library
may use the libraries above it in that list; a test file may use every
library but no other test file. Entry scripts (check.sh, demo.sh, shell.sh,
tests/bench/run.sh) are not checked: they sit on top.

Usage: layers.py TOP       prints one line a violation ("FILE uses NAME of
                           OTHER"), then "layers: N libraries, N test
                           files, N violations"; exits 1 on a violation or
                           when it finds no files to read.
"""

import re
import sys
from pathlib import Path

SOURCE = re.compile(r'^\s*\.\s+"\$(?:TOP|\(dirname[^)]*\))/?([^"]*)"', re.M)
DEFINE = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*)\(\)\s*\{', re.M)


def sourced(top, script):
    """The files SCRIPT sources, in order, relative to TOP."""
    names = []
    for m in SOURCE.finditer(script.read_text()):
        rel = m.group(1)
        if rel.startswith("tests/"):
            names.append(rel)
        else:  # . "$(dirname "...")/common.sh": beside the script
            names.append(str((script.parent / rel).relative_to(top)))
    return names


def code(path):
    """The file's text without its comments."""
    lines = []
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#"):
            continue
        lines.append(re.sub(r"\s#\s.*$", "", line))
    return "\n".join(lines)


def main():
    top = Path(sys.argv[1]).resolve()
    host = top / "tests/host"
    libs = [f for f in sourced(top, host / "harness.sh")]
    check = host / "check.sh"
    tests = [f for f in sourced(top, check) if f not in libs and not f.endswith("harness.sh")]
    if not libs or not tests:
        print("layers: no libraries or no test files found (harness.sh, check.sh)")
        return 1
    defined = {}
    for f in libs + tests:
        for m in DEFINE.finditer((top / f).read_text()):
            defined.setdefault(m.group(1), f)
    bad = 0
    order = {f: i for i, f in enumerate(libs)}
    for f in libs + tests:
        text = code(top / f)
        for name, where in sorted(defined.items()):
            if where == f or len(name) < 3:  # (a one- or two-letter name is
                continue                       # a word of any text)
            if not re.search(r"(?<![\w$.-])" + re.escape(name) + r"(?![\w])", text):
                continue
            if f in order:
                ok = where in order and order[where] < order[f]
            else:
                ok = where in order
            if not ok:
                kind = "a test file" if where in tests else "a library sourced after it"
                print(f"{f} uses {name} of {where} ({kind})")
                bad += 1
    print(f"layers: {len(libs)} libraries, {len(tests)} test files, {bad} violations")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
