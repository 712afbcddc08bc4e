#!/usr/bin/python3
"""log_sources.py -- every string a log line prints with %s comes from a
source known to be safe: wsgate's own text, the configuration, or
log_escape().

Reads the log_msg/log_error/log_warn/log_info/log_debug calls in src/*.c,
pairs each %s (and %.*s) of the format with its argument, and looks the
argument up in SAFE below.  An argument not listed fails, with its file
and line: escape it (log_escape, log_escape_str) or, if a client cannot
choose it, add it to SAFE with the reason.  A SAFE entry nothing uses
fails too, so the list stays the list of what is logged.  Client strings
are escaped at the call site; log_msg's own escaping of non-printable
bytes is a last resort that leaves quotes alone.  A function listed in
SAFE (tls_describe, tls_error) is trusted for what its body does: it is
read, not checked, here; tests/integration/test_log_inputs.py drives
hostile bytes through every one of these call sites.

    /usr/bin/python3 tests/log_sources.py [--list]

--list prints every call site's %s arguments.  Prints one "ok"/"FAIL"
line per problem found and "RESULT log-sources: N passed, M failed".
"""

import glob
import os
import re
import sys

# Argument text (whitespace squeezed) -> why a client cannot put bytes of
# its choosing there unescaped.
SAFE = {
    # escaped at the call site
    "epath": "log_escape() of the request path",
    "eorigin": "log_escape() of the Origin header",
    "res.cert_name": "admit.c: log_escape() of the client certificate's "
                     "name",
    "st->path": "h2_stream_request(): log_escape() of the stream's :path",
    "st->origin": "h2_stream_request(): log_escape() of its Origin",
    "st->route": "a route's name from the configuration, or \"-\"",
    "cn": "tls_name_cn(): log_escape() of a certificate's CN",
    "f->path": "recorder.c: the route's record directory (configuration) "
               "and a file name wsgate makes of the time, the route name "
               "and a count",
    "f->dir->path": "recorder.c: the route's record directory "
                    "(configuration)",
    "f->auth_what": "front.c: \"route=\" and a route name from the "
                    "configuration, or \"web_root\"",
    "cli.basic_user": "main.c: the user of --auth-source USER:PASS, the "
                      "operator's own command line (no client sets it)",
    "cli.jwt_key_file": "main.c: the --token-source file, the operator's "
                        "own command line",
    "cli.jwt_algorithm": "main.c: \"HS256\", \"RS256\" or \"ES256\", "
                         "chosen by jwt_key_infer_alg()",
    "euser": "front.c: log_escape() of a Basic auth user name, logged only "
             "once its password was right",
    "tls_describe(bev, why, sizeof(why))":
        "TLS version and cipher (OpenSSL's names), server name and ALPN "
        "escaped",
    # wsgate's and OpenSSL's own text
    "why": "front_respond(): static reasons (handshake, admission, "
           "upstream, tls_error) or text built from escaped parts "
           "(admit.c's cert_name); upstream.c's retries: an address "
           "formatted by wsgate and libc's text; HTTP/2 (h2_conn.c, "
           "h2_stream.c): static reasons and nghttp2_strerror()",
    "why != NULL ? why : \"\"": "webroot_respond(): static reasons or "
                                "strerror()",
    "s->close_why != NULL ? s->close_why : \"\"":
        "static text; a peer's close reason is never kept",
    "tls_error_class(bev, what, why, sizeof(why), &cls)":
        "OpenSSL's reason strings and X509_verify_cert_error_string()",
    "ereason": "log_escape() of a close reason (POST /sessions/ID/close)",
    "(what & BEV_EVENT_EOF) ? \"EOF\" : f->client->tls ? "
    "tls_error(bev, what, why, sizeof(why)) : "
    "strerror(EVUTIL_SOCKET_ERROR())": "static, OpenSSL's or libc's text",
    "cli.warnings[i]": "cli.c's static warning texts (the operator's "
                       "command line, no client bytes)",
    "strerror(err)": "libc's text",
    "strerror(rc)": "libc's text",
    "strerror(errno)": "libc's text",
    "err": "worker_start()'s strerror() text",
    "msg": "libevent's own messages (a last resort escapes non-printable "
           "bytes; libevent does not quote clients)",
    "until": "strftime() of a certificate's date",
    "names": "\" (N server names)\" from a number",
    "a->l->desc": "the listener's address, formatted by wsgate",
    "listener_describe(ctl->listeners[i])": "addresses formatted by wsgate",
    "listener_describe(s->l)": "addresses formatted by wsgate",
    "peer": "admin.c: a peer's address, formatted by sockaddr_format()",
    "was": "front.c: the peer's address text, formatted by "
           "sockaddr_format()",
    "s->l == NULL ? err : \"out of memory\"":
        "listener_new()'s error: an address formatted by wsgate and "
        "libc's text",
    "listener_describe(a->socks[k].l)": "addresses formatted by wsgate",
    "WSGATE_VERSION": "the build's version",
    "conf_path": "a system file's name (/etc/resolv.conf)",
    "HOSTS_FILE": "a constant file name (/etc/hosts)",
    "opt": "an evdns option name written in resolve.c",
    "val": "an evdns option value formatted by resolve.c",
    "e->why": "dnscache: static text or evdns_err_to_string()",
    # the configuration (the operator's, not a client's)
    "cfg->dns_servers[i]": "a dns_servers entry (configuration)",
    "e->name": "a backend host name (configuration)",
    "section": "a configuration section name",
    "t->section": "a configuration section name",
    "t->cert.s": "a configuration file path",
    "s->route->name": "a route name (configuration)",
    "f->route != NULL ? f->route->name : \"-\"":
        "a route name (configuration)",
    "f->route->name": "a route name (configuration)",
    "r->name": "a route name (configuration)",
    "r->path": "a route path (configuration)",
    "route_to": "a backend address or a token source's path "
                "(configuration)",
    "t->display": "a target's backend address (configuration)",
    's->backend_used != NULL ? s->backend_used : '
    's->route->backend != NULL ? s->route->backend : "-"':
        "the backend a session used: a copy of its target's display "
        "(configuration, or a token's target escaped by admission)",
    "ctl->cfg->path": "the configuration file's path",
    "ls->where.file": "a configuration file's path",
    "ls->text": "a listen value (configuration)",
    "spec->text": "a listen value (configuration)",
    "rhosts": "a route's hosts, joined (configuration)",
    "rbackends": "a route's backends as written, joined (configuration)",
    "balance[r->balance != 0]": "a balance word (constant)",
    "old->listeners[i].text": "a listen value (configuration)",
}

# Argument shapes safe wherever they appear: (pattern, why).
SAFE_SHAPES = [
    (re.compile(r"^log_escape(_str)?\("),
     "escaped where it is printed"),
    (re.compile(r"^[a-z_]+->peer$"),
     "a client's address, formatted by sockaddr_format()"),
    (re.compile(r"^[a-z_]+_names\[[^\]]+\]$"),
     "a table of constant names indexed by an enum"),
]

LOG_CALL = re.compile(r"\blog_(msg|error|warn|info|debug)\s*\(")
# One printf conversion (C11 7.21.6.1).
CONV = re.compile(r"%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?"
                  r"(hh|h|ll|l|j|z|t|L)?([diouxXeEfFgGaAcspn%])")


def call_text(src, start):
    """The argument text of the call whose '(' is at src[start]; the
    index after its ')'."""
    depth, i, out = 0, start, []
    while i < len(src):
        c = src[i]
        if c in "\"'":
            j = i + 1
            while src[j] != c:
                j += 2 if src[j] == "\\" else 1
            out.append(src[i:j + 1])
            i = j + 1
            continue
        if c == "(":
            depth += 1
            if depth == 1:
                i += 1
                continue
        elif c == ")":
            depth -= 1
            if depth == 0:
                return "".join(out), i + 1
        out.append(c)
        i += 1
    raise ValueError("unbalanced call")


def split_args(text):
    """Top-level comma-separated arguments, whitespace squeezed."""
    args, depth, cur, i = [], 0, [], 0
    while i < len(text):
        c = text[i]
        if c in "\"'":
            j = i + 1
            while text[j] != c:
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == "," and depth == 0:
            args.append(" ".join("".join(cur).split()))
            cur = []
        else:
            cur.append(c)
        i += 1
    args.append(" ".join("".join(cur).split()))
    return args


def literal(arg):
    """The value of concatenated string literals, or None."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', arg)
    rest = re.sub(r'"((?:[^"\\]|\\.)*)"', "", arg).strip()
    if not parts or rest:
        return None
    return "".join(parts)


def top_level(text, chars):
    """Indexes of chars in text outside strings and brackets."""
    out, depth, i = [], 0, 0
    while i < len(text):
        c = text[i]
        if c in "\"'":
            j = i + 1
            while text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and c in chars:
            out.append(i)
        i += 1
    return out


def constant(arg):
    """Whether arg is string literals, or a ?: choosing between such."""
    if literal(arg) is not None:
        return True
    marks = top_level(arg, "?:")
    if not marks or arg[marks[0]] != "?":
        return False
    # The ':' that closes the first '?' (C's ?: nests to the right).
    depth = 0
    for i in marks:
        depth += 1 if arg[i] == "?" else -1
        if depth == 0:
            return (constant(arg[marks[0] + 1:i].strip()) and
                    constant(arg[i + 1:].strip()))
    return False


def string_args(args, fmt_index):
    """(argument, conversion) for each %s of the format."""
    fmt = literal(args[fmt_index])
    if fmt is None:
        raise ValueError("format is not a string literal: %s" %
                         args[fmt_index])
    out, a = [], fmt_index + 1
    for m in CONV.finditer(fmt):
        flags, width, prec, length, conv = m.groups()
        if conv == "%":
            continue
        a += (width == "*") + (prec == "*")
        if conv == "s":
            out.append((args[a], m.group(0)))
        a += 1
    return out


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    listing = "--list" in sys.argv
    used, problems, nsites = set(), [], 0
    for path in sorted(glob.glob(os.path.join(root, "src", "*.c"))):
        if path.endswith("/log.c"):
            continue
        with open(path) as f:
            src = f.read()
        # Comments out, lines kept.
        src = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ",
                                                    m.group(0)),
                     src, flags=re.S)
        for m in LOG_CALL.finditer(src):
            line = src.count("\n", 0, m.start()) + 1
            where = "%s:%d" % (os.path.relpath(path, root), line)
            text, _ = call_text(src, m.end() - 1)
            args = split_args(text)
            nsites += 1
            try:
                pairs = string_args(args, 1 if m.group(1) == "msg" else 0)
            except (ValueError, IndexError) as e:
                problems.append("%s: %s" % (where, e))
                continue
            for arg, conv in pairs:
                if listing:
                    print("%s: %s <- %s" % (where, conv, arg))
                if constant(arg):
                    continue
                if arg in SAFE:
                    used.add(arg)
                elif any(p.match(arg) for p, _ in SAFE_SHAPES):
                    pass
                else:
                    problems.append("%s: %s <- %s: not a known-safe source "
                                    "(escape it with log_escape, or add it "
                                    "to SAFE with the reason)" %
                                    (where, conv, arg))
    for arg in sorted(set(SAFE) - used):
        problems.append("SAFE entry used by no log call: %s" % arg)
    for p in problems:
        print("FAIL " + p)
    if not problems:
        print("ok   %d log calls: every %%s argument is escaped or "
              "wsgate's own" % nsites)
    print("RESULT log-sources: %d passed, %d failed" %
          (0 if problems else 1, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
