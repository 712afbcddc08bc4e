#!/usr/bin/python3
"""include_graph.py -- the modules of src/ include each other without a
cycle, and the pure ones include no libevent header.

A module is a base name in src/ (session for session.c and session.h; a
header alone, such as gateway.h, is a module too).  Module X depends on Y
when X.c or X.h includes "Y.h".  Lower layers report upward through
callbacks (listener.c's acceptor_fn, relay.h's relay_event_fn), so the
graph must have no cycle: each one found is printed, e.g.

    FAIL include cycle: relay -> session -> relay

The pure modules are the Makefile's PURE list: no I/O and no libevent
types, so that they can be unit tested and fuzzed.  Neither their files
nor any src/ header they include, directly or not, may include an
<event2/...> header.

    /usr/bin/python3 tests/include_graph.py [--dot]

--dot prints the graph in Graphviz's format instead.  Prints one "ok" or
"FAIL" line per check and "RESULT include-graph: N passed, M failed".
"""

import glob
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
SRC = os.path.join(ROOT, "src")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def includes(path):
    """(local, system) include names of one file."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    local, system = [], []
    for kind, name in INCLUDE.findall(text):
        (local if kind == '"' else system).append(name)
    return local, system


def modules():
    """{module: [its files]} for every .c and .h in src/."""
    mods = {}
    for path in sorted(glob.glob(os.path.join(SRC, "*.[ch]"))):
        base = os.path.splitext(os.path.basename(path))[0]
        mods.setdefault(base, []).append(path)
    return mods


def graph(mods):
    """{module: set of modules it depends on}."""
    deps = {}
    for mod, files in mods.items():
        out = set()
        for path in files:
            for name in includes(path)[0]:
                dep = os.path.splitext(os.path.basename(name))[0]
                if dep != mod and dep in mods:
                    out.add(dep)
        deps[mod] = out
    return deps


def cycles(deps):
    """(a cycle, its component) for each strongly connected component
    with more than one module (Tarjan): the cycle is a list of modules,
    the first repeated last."""
    index, low, stack, on, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(deps[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append((path_in(deps, set(comp)), sorted(comp)))

    sys.setrecursionlimit(10000)
    for v in sorted(deps):
        if v not in index:
            visit(v)
    return found


def path_in(deps, comp):
    """A cycle through the smallest module of a strongly connected
    component, by breadth-first search inside it."""
    start = min(comp)
    prev, queue = {start: None}, [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(deps[v]):
            if w not in comp:
                continue
            if w == start:
                cyc = [v]
                while prev[cyc[-1]] is not None:
                    cyc.append(prev[cyc[-1]])
                cyc.reverse()
                return cyc + [start]
            if w not in prev:
                prev[w] = v
                queue.append(w)
    return sorted(comp)


def pure_modules():
    """The Makefile's PURE list."""
    with open(os.path.join(ROOT, "Makefile"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^PURE\s*:=((?:.*\\\n)*.*)$", text, re.M)
    if m is None:
        raise SystemExit("include_graph: no PURE list in the Makefile")
    return m.group(1).replace("\\\n", " ").split()


def libevent_includes(mods, mod):
    """(file, header) for each <event2/...> include reached from mod's
    files through src/ headers."""
    seen, todo, found = set(), list(mods.get(mod, [])), []
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        local, system = includes(path)
        found += [(path, h) for h in system if h.startswith("event2/")]
        for name in local:
            dep = os.path.join(SRC, os.path.basename(name))
            if os.path.exists(dep):
                todo.append(dep)
    return found


def main():
    mods = modules()
    deps = graph(mods)
    if "--dot" in sys.argv[1:]:
        print("digraph src {")
        for mod in sorted(deps):
            for dep in sorted(deps[mod]):
                print('  "%s" -> "%s";' % (mod, dep))
        print("}")
        return 0
    passed = failed = 0
    found = cycles(deps)
    for cyc, comp in found:
        rest = sorted(set(comp) - set(cyc))
        print("FAIL include cycle: %s%s" % (" -> ".join(cyc),
              " (also among them: %s)" % ", ".join(rest) if rest else ""))
        failed += 1
    if not found:
        print("ok   %d modules of src/, no include cycle" % len(deps))
        passed += 1
    pure = pure_modules()
    bad = 0
    for mod in pure:
        if mod not in mods:
            print("FAIL PURE names %s, which src/ does not have" % mod)
            bad += 1
        for path, header in libevent_includes(mods, mod):
            print("FAIL pure module %s: %s includes <%s>" %
                  (mod, os.path.relpath(path, ROOT), header))
            bad += 1
    if bad:
        failed += 1
    else:
        print("ok   %d pure modules, no libevent header" % len(pure))
        passed += 1
    print("RESULT include-graph: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
