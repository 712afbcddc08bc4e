#!/usr/bin/python3
"""man_options.py -- every long option of src/cli.c's table is in
man/wsgate.8 (as "Fl \\-NAME") and in README.md's migration table (as
`--NAME`).  Prints ok/FAIL lines and "RESULT man_options: ..."."""

import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def read(rel):
    with open(os.path.join(ROOT, rel)) as f:
        return f.read()


def main():
    cli = read("src/cli.c")
    table = cli[cli.index("opts[] = {"):cli.index("#define NOPTS")]
    names = re.findall(r'\{ "--([a-z0-9-]+)"', table)
    man = read("man/wsgate.8")
    readme = read("README.md")
    bad = 0
    if len(names) < 20:
        print("FAIL found only %d options in src/cli.c's opts[]" %
              len(names))
        bad += 1
    for n in names:
        if not re.search(r"Fl \\-%s\b" % re.escape(n), man):
            print("FAIL option --%s (src/cli.c) is missing from "
                  "man/wsgate.8: add it as Fl \\-%s" % (n, n))
            bad += 1
        if "`--%s" % n not in readme:
            print("FAIL option --%s (src/cli.c) is missing from "
                  "README.md: add it to the migration table" % n)
            bad += 1
    if bad == 0:
        print("ok   all %d long options of src/cli.c are in man/wsgate.8 "
              "and README.md" % len(names))
    print("RESULT man_options: %d passed, %d failed" % (bad == 0, bad > 0))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
