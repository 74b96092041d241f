#!/usr/bin/env python3
"""Fails when a source file or a function grows past the size limits.

docs/design.md and STYLE.md keep modules small: no source file over
MAX_FILE_LINES lines, no function over MAX_FUNCTION_LINES. A function is
measured from its first to its last line, so a lambda written inside it
counts as part of it. C++ functions (TEST bodies included) come from
Universal Ctags (`line:` and `end:` fields); shell functions are found by
their `name() {` line and the `}` at the same indentation.

A file listed in scripts/check-size.allow (`PATH MAX_LINES  # why`) may
stay over the file limit up to MAX_LINES while it waits to be split; it may
not grow, and an entry fails once its file is back under the limit, so the
list only shrinks.

Usage: check-size.py [ROOT]  (ROOT defaults to the repository root)
Prints one `path:line: ...` line per offence and exits 1 if there is any.
"""

import os
import re
import subprocess
import sys

MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60
FOLDERS = ("cli", "common", "daemon", "tests", "bench", "scripts")
SUFFIXES = (".cpp", ".hpp", ".sh", ".py", ".mjs")
SKIPPED_DIRS = {"node_modules"}
ALLOW_LIST = os.path.join("scripts", "check-size.allow")

SHELL_FUNCTION = re.compile(
    r"^(?P<indent>[ \t]*)(?:function[ \t]+)?(?P<name>[A-Za-z_][\w:-]*)"
    r"[ \t]*\(\)[ \t]*\{[ \t]*(?:#.*)?$")


def source_files(root):
    for folder in FOLDERS:
        top = os.path.join(root, folder)
        for current, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
            for name in sorted(files):
                if name.endswith(SUFFIXES):
                    yield os.path.relpath(os.path.join(current, name), root)


def read_lines(root, path):
    with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
        return f.read().splitlines()


def cpp_functions(root, paths):
    """(path, line, name, length) of every C++ function ctags finds."""
    if not paths:
        return []
    out = subprocess.run(
        ["ctags", "--languages=C++", "--language-force=C++", "--fields=+ne",
         "--c++-kinds=f", "-o", "-", *paths],
        cwd=root, check=True, capture_output=True, text=True).stdout
    found = []
    for row in out.splitlines():
        cells = row.split("\t")
        fields = dict(c.split(":", 1) for c in cells[3:] if ":" in c)
        if "line" in fields and "end" in fields:
            start, end = int(fields["line"]), int(fields["end"])
            found.append((cells[1], start, cells[0], end - start + 1))
    return found


def shell_functions(path, lines):
    """(path, line, name, length) of every multi-line shell function."""
    found = []
    for i, text in enumerate(lines):
        m = SHELL_FUNCTION.match(text)
        if not m:
            continue
        closing = m.group("indent") + "}"
        for j in range(i + 1, len(lines)):
            if lines[j].rstrip() == closing:
                found.append((path, i + 1, m.group("name"), j - i + 1))
                break
    return found


def allowed_sizes(root):
    """{path: max lines} from the allow list, when the tree has one."""
    allowed = {}
    listed = os.path.join(root, ALLOW_LIST)
    if os.path.exists(listed):
        for text in read_lines(root, ALLOW_LIST):
            fields = text.split("#", 1)[0].split()
            if fields:
                allowed[fields[0]] = int(fields[1])
    return allowed


def file_offence(path, count, allowed):
    if path in allowed and count <= MAX_FILE_LINES:
        return (f"{path}:1: file has {count} lines, within the limit: "
                f"remove it from {ALLOW_LIST}")
    limit = allowed.get(path, MAX_FILE_LINES)
    if count > limit:
        where = f"{ALLOW_LIST} allows {limit}" if path in allowed else f"at most {limit}"
        return f"{path}:1: file has {count} lines ({where})"
    return None


def offences(root):
    paths = list(source_files(root))
    allowed = allowed_sizes(root)
    found, functions = [], []
    for path in paths:
        lines = read_lines(root, path)
        offence = file_offence(path, len(lines), allowed)
        if offence:
            found.append(offence)
        if path.endswith(".sh"):
            functions += shell_functions(path, lines)
    functions += cpp_functions(root, [p for p in paths if p.endswith((".cpp", ".hpp"))])
    for path, line, name, length in sorted(functions):
        if length > MAX_FUNCTION_LINES:
            found.append(f"{path}:{line}: function {name} has {length} lines "
                         f"(at most {MAX_FUNCTION_LINES})")
    return found


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(here)
    found = offences(root)
    for line in found:
        print(line)
    if found:
        print(f"size: {len(found)} over the limits; split the file by behaviour "
              "or extract named steps", file=sys.stderr)
        return 1
    print("size: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
