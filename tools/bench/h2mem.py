#!/usr/bin/python3
"""h2mem.py -- memory per WebSocket: N over one HTTP/2 connection (RFC
8441) against N over N TLS connections, for wsgate and, as the anchor,
HAProxy (2.6 speaks RFC 8441 on its front end) in the same run.

    /usr/bin/python3 tools/bench/h2mem.py [-n 1000] [--wsgate build/wsgate]

Needs build/wsgate and build/echod (make bench-tools), python3-h2 and
haproxy (skipped, and said so, when missing).  Each case starts a fresh
gateway, opens N sockets, echoes one 64-byte message on each, and reads
the gateway's VmRSS before and after: the figure is the growth divided
by N (allocator caching included, as a real gateway would hold it); and
the gateway's CPU time (user + system) for opening them and the echo,
divided by N: the TLS handshakes an HTTP/2 connection saves.
Prints one table; the goal (issue 16): over HTTP/2 a socket costs under
half the memory of one over its own TLS connection, and no more than
HAProxy's.
"""

import argparse
import base64
import os
import resource
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from h2_support import H2Client, ws_frame, ws_parse  # noqa: E402

MSG = b"m" * 64


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_s(pid):
    """User + system CPU seconds of a process."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_echod(binary, ws):
    p = subprocess.Popen([binary, "-a", "127.0.0.1", "-p", "0"] +
                         (["-w"] if ws else []), stdout=subprocess.PIPE,
                         text=True)
    line = p.stdout.readline()
    return p, int(line.split()[1])


def make_cert(d):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                    key, "-out", cert, "-days", "1", "-subj",
                    "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    os.chmod(key, 0o600)
    with open(os.path.join(d, "both.pem"), "w") as f:
        f.write(open(cert).read() + open(key).read())
    return cert, key, os.path.join(d, "both.pem")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, limit=10):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on %d" % port)


def start_wsgate(binary, d, cert, key, backend, n):
    port = free_port()
    cfg = os.path.join(d, "wsgate.ini")
    with open(cfg, "w") as f:
        f.write("[gateway]\nlisten = 127.0.0.1:%d tls\nworkers = 1\n"
                "tls_cert = %s\ntls_key = %s\nlog_level = warn\n"
                "h2_max_concurrent_streams = %d\nh2_max_memory = 64M\n"
                "max_handshakes = %d\n\n"
                "[route:bench]\npath = /\nbackend = 127.0.0.1:%d\n"
                "origins = *\nallow_missing_origin = yes\n" %
                (port, cert, key, n + 10, n + 100, backend))
    p = subprocess.Popen([binary, "-c", cfg], stderr=subprocess.DEVNULL)
    wait_port(port)
    return p, port


def start_haproxy(d, pem, backend, n):
    port = free_port()
    cfg = os.path.join(d, "haproxy.cfg")
    with open(cfg, "w") as f:
        f.write("global\n    nbthread 1\n    maxconn 4000\n"
                "    tune.h2.max-concurrent-streams %d\n" % (n + 10) +
                "defaults\n    mode http\n    timeout connect 5s\n"
                "    timeout client 300s\n    timeout server 300s\n"
                "    timeout tunnel 300s\n"
                "frontend bench\n    bind 127.0.0.1:%d ssl crt %s "
                "alpn h2,http/1.1\n    default_backend echo\n"
                "backend echo\n    server echo 127.0.0.1:%d\n" %
                (port, pem, backend))
    p = subprocess.Popen(["haproxy", "-f", cfg], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    wait_port(port)
    return p, port


def client_ctx():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def over_h2(port, n):
    """N WebSockets on one HTTP/2 connection; returns what to close."""
    c = H2Client(port, client_ctx())
    if c.alpn != "h2":
        raise RuntimeError("no h2 (ALPN %r)" % c.alpn)
    sids = [c.websocket("/", wait=False) for _ in range(n)]
    c.until(lambda: all(s in c.status for s in sids), limit=60,
            what="%d answers" % n)
    bad = [c.status[s] for s in sids if c.status[s] != 200]
    if bad:
        raise RuntimeError("answers %r" % bad[:3])
    for s in sids:
        c.send_ws(s, MSG)
    for s in sids:
        c.read_ws(s, len(MSG), limit=30)
    return [c]


def over_tls(port, n):
    """N WebSockets, each on its own TLS connection (HTTP/1.1)."""
    ctx = client_ctx()
    ctx.set_alpn_protocols(["http/1.1"])
    socks = []
    for _ in range(n):
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                            server_hostname="localhost")
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall(("GET / HTTP/1.1\r\nHost: localhost\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                   "\r\n" % key).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(4096)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(head.split(b"\r\n")[0])
        s.sendall(ws_frame(MSG))
        socks.append(s)
    for s in socks:
        buf = b""
        while not ws_parse(buf)[0]:
            buf += s.recv(4096)
    return socks


def measure(start, run, n):
    p, port = start()
    try:
        time.sleep(0.3)
        before, cpu0 = rss_kb(p.pid), cpu_s(p.pid)
        held = run(port, n)
        time.sleep(0.3)
        after, cpu1 = rss_kb(p.pid), cpu_s(p.pid)
        for h in held:
            h.close()
        return (after - before) * 1024 / n, after, (cpu1 - cpu0) * 1e6 / n
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=1000, help="sockets per case")
    ap.add_argument("--wsgate", default=os.path.join(ROOT, "build",
                                                     "wsgate"))
    ap.add_argument("--echod", default=os.path.join(ROOT, "build", "echod"))
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    d = tempfile.mkdtemp(prefix="wsgate-h2mem-")
    tcp, tcp_port = start_echod(args.echod, False)
    wse, ws_port = start_echod(args.echod, True)
    rows = []
    try:
        cert, key, pem = make_cert(d)

        def wsgate():
            return start_wsgate(args.wsgate, d, cert, key, tcp_port, args.n)

        def haproxy():
            return start_haproxy(d, pem, ws_port, args.n)

        cases = [("wsgate", "h2, one connection", wsgate, over_h2),
                 ("wsgate", "TLS connection each", wsgate, over_tls)]
        if shutil.which("haproxy"):
            cases += [("haproxy", "h2, one connection", haproxy, over_h2),
                      ("haproxy", "TLS connection each", haproxy, over_tls)]
        else:
            print("haproxy is not installed: no anchor")
        for who, how, start, run in cases:
            try:
                per, total, cpu = measure(start, run, args.n)
                rows.append((who, how, per, total, cpu))
            except Exception as e:     # a case that cannot run says why
                rows.append((who, how, None, str(e), None))
    finally:
        tcp.terminate()
        wse.terminate()
        shutil.rmtree(d, ignore_errors=True)
    print("memory per WebSocket, %d sockets (VmRSS growth / N)" % args.n)
    print("%-8s %-22s %12s %14s %16s" % ("gateway", "sockets",
                                          "bytes/socket", "VmRSS after",
                                          "CPU us/socket"))
    for who, how, per, total, cpu in rows:
        if per is None:
            print("%-8s %-22s %12s  (%s)" % (who, how, "-", total))
        else:
            print("%-8s %-22s %12.0f %11d KiB %16.0f" % (who, how, per,
                                                         total, cpu))
    h2 = [r[2] for r in rows if r[0] == "wsgate" and r[1].startswith("h2")]
    tl = [r[2] for r in rows if r[0] == "wsgate" and r[1].startswith("TLS")]
    if h2 and tl and h2[0] and tl[0]:
        print("wsgate: a socket over h2 costs %.2f of one over its own TLS "
              "connection (goal: < 0.5)" % (h2[0] / tl[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
