#!/usr/bin/python3
"""man_keys.py -- every configuration key src/config.c knows (its keys[]
table) has an ".It Cm KEY" entry in man/wsgate.ini.5, and every such
entry is a key config.c knows.

    /usr/bin/python3 tests/docs/man_keys.py

Prints one "ok" line, or one "FAIL" line per key missing on either side
(saying where to add or remove it), then
"RESULT man-keys: N passed, M failed".  Exit status 0 iff in sync.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CONFIG_C = "src/config.c"
MAN = "man/wsgate.ini.5"


def config_keys():
    """{key: line} from the keys[] table of src/config.c."""
    with open(os.path.join(ROOT, CONFIG_C)) as f:
        text = f.read()
    m = re.search(r"\bkeys\[\]\s*=\s*\{(.*?)\n\};", text, re.S)
    if not m:
        raise SystemExit("FAIL %s: no keys[] table found (the check reads "
                         "'static const struct key_def keys[] = { ... };')"
                         % CONFIG_C)
    start = text[:m.start(1)].count("\n") + 1
    keys = {}
    for km in re.finditer(r'\{\s*"([A-Za-z0-9_]+)"\s*,', m.group(1)):
        keys[km.group(1)] = start + m.group(1)[:km.start()].count("\n")
    return keys


def man_keys():
    """{key: line} of the ".It Cm KEY" entries of the man page."""
    keys = {}
    with open(os.path.join(ROOT, MAN)) as f:
        for n, line in enumerate(f, 1):
            m = re.match(r"\.It Cm ([A-Za-z0-9_]+)\b", line)
            if m:
                keys.setdefault(m.group(1), n)
    return keys


def main():
    code = config_keys()
    man = man_keys()
    failed = 0
    for k, line in sorted(code.items(), key=lambda kv: kv[1]):
        if k not in man:
            print('FAIL key "%s" (%s:%d, keys[]) is missing from %s: add '
                  'an ".It Cm %s" entry to its section there' %
                  (k, CONFIG_C, line, MAN, k))
            failed += 1
    for k, line in sorted(man.items(), key=lambda kv: kv[1]):
        if k not in code:
            print('FAIL %s:%d documents key "%s", which %s keys[] does not '
                  'know: remove the entry or fix its name' %
                  (MAN, line, k, CONFIG_C))
            failed += 1
    if failed == 0:
        print("ok   all %d keys of %s keys[] are in %s, and no other" %
              (len(code), CONFIG_C, MAN))
    print("RESULT man-keys: %d passed, %d failed" %
          (0 if failed else 1, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
