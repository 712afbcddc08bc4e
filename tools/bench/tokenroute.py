#!/usr/bin/python3
"""tokenroute.py -- `make bench-token-route`: sessions/s through a route
whose backend a token names (targets = a file of 100,000 tokens) against
a static route, in the same run, through the same wsgate (one worker)
to the same echo backend (build/echod).

Each round runs wsbench's `rate` scenario (connect, upgrade, echo one
message, close) on the static path, then on the token path, with a
different token each round; the median of the rounds is reported with
the ratio token/static.  Also reported: how long wsgate took to read and
index the file at start (its ready line), and its RSS with the index.

    /usr/bin/python3 tools/bench/tokenroute.py [--tokens N] [--rounds R]
        [--seconds S] [--conns C]
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

B = os.environ.get("B", "build")


def start_echod(tmp):
    p = subprocess.Popen([os.path.join(B, "echod"), "-p", "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = p.stdout.readline().decode()
    m = re.match(r"LISTENING (\d+)", line)
    if not m:
        p.kill()
        sys.exit("tokenroute: echod did not start")
    return p, int(m.group(1))


def start_wsgate(tmp, cfg):
    """Start wsgate on cfg (its log to a file, so that it never waits on
    a pipe); its port and the time it took to be ready."""
    path = os.path.join(tmp, "wsgate.ini")
    with open(path, "w") as f:
        f.write(cfg)
    log = os.path.join(tmp, "wsgate.log")
    t0 = time.monotonic()
    with open(log, "w") as lf:
        p = subprocess.Popen([os.path.join(B, "wsgate"), "-c", path],
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=lf)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and p.poll() is None:
        with open(log) as f:
            text = f.read()
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", text)
        if m and " ready (" in text:
            return p, int(m.group(1)), time.monotonic() - t0
        time.sleep(0.01)
    p.kill()
    sys.exit("tokenroute: wsgate did not start")


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def rate(port, path, seconds, conns):
    out = subprocess.run(
        [os.path.join(B, "wsbench"), "-t", "127.0.0.1:%d" % port, "-s",
         "rate", "-c", str(conns), "-d", str(seconds), "-W", "0.5", "-u",
         path], capture_output=True, timeout=seconds + 60).stdout.decode()
    res = json.loads(out.strip().splitlines()[-1])
    if res["errors"]:
        sys.exit("tokenroute: wsbench counted errors on %s: %s" % (path, res))
    return res["sessions_per_s"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tokens", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--conns", type=int, default=16)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="wsgate-tokenbench-")
    echod = gw = None
    try:
        echod, bport = start_echod(tmp)
        with open(os.path.join(tmp, "tokens.txt"), "w") as f:
            for i in range(args.tokens):
                # 30-byte tokens, as random ones would be.
                f.write("vm-%027d: 127.0.0.1:%d\n" % (i, bport))
        cfg = ("[gateway]\nlisten = 127.0.0.1:0\nworkers = 1\n"
               "[route:static]\npath = /static\nbackend = 127.0.0.1:%d\n"
               "origins = *\nallow_missing_origin = yes\n"
               "[route:token]\npath = /token\ntargets = tokens.txt\n"
               "allowed_targets = 127.0.0.1:%d\n"
               "origins = *\nallow_missing_origin = yes\n" % (bport, bport))
        # Index build time: the same start without the token route.
        gw, port, t_plain = start_wsgate(tmp, cfg.split("[route:token]")[0])
        gw.send_signal(signal.SIGINT)
        gw.wait(30)
        gw, port, t_tok = start_wsgate(tmp, cfg)
        rss = rss_kb(gw.pid)
        static, token = [], []
        for r in range(args.rounds):
            static.append(rate(port, "/static", args.seconds, args.conns))
            tok = "vm-%027d" % ((r * 7919 + 4111) % args.tokens)
            token.append(rate(port, "/token?token=" + tok, args.seconds,
                              args.conns))
        s, t = statistics.median(static), statistics.median(token)
        print("token routing, %d tokens (wsgate, 1 worker, %d conns, "
              "median of %d x %.0f s)" % (args.tokens, args.conns,
                                          args.rounds, args.seconds))
        print("  static route   %9.0f sessions/s" % s)
        print("  token route    %9.0f sessions/s   token/static %.2f" %
              (t, t / s if s else 0))
        print("  start with the token file: %.2f s (without: %.2f s); "
              "RSS %d KiB" % (t_tok, t_plain, rss))
        print(json.dumps({"tool": "tokenroute", "tokens": args.tokens,
                          "static_sessions_per_s": s,
                          "token_sessions_per_s": t,
                          "ratio": round(t / s, 3) if s else None,
                          "start_s": round(t_tok, 3),
                          "start_plain_s": round(t_plain, 3),
                          "rss_kb": rss}))
    finally:
        for p in (gw, echod):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGINT)
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
