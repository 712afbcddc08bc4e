"""tlsbench.py -- the wss:// part of `make bench` (run.py --tls).

Certificates made at bench time with the openssl command (ECDSA P-256
and RSA-2048, self-signed: the load generator checks no certificate),
the TLS configurations of the targets, and the scenario cells:

  wsgate    listen = ... tls, in front of the TCP echo backend (echod)
  haproxy   `bind ... ssl crt`, mode tcp: it terminates TLS and relays
            the WebSocket bytes as they are, so its backend is a
            WebSocket echo server (echod -w)
  lighttpd  mod_openssl and mod_wstunnel, in front of echod

Cells: throughput with TLS 1.3 (TLS_AES_128_GCM_SHA256); sessions with a
full handshake for TLS 1.3 and TLS 1.2 (ECDHE, AES-128-GCM), each with an
ECDSA and an RSA certificate; sessions with a resumed handshake (the
session ticket of the slot's previous session, each used once) for both
versions; idle wss connections.
"""
import os
import subprocess

CERTS = ("ecdsa", "rsa")

HAPROXY_TLS_BIND = " ssl crt {combined}"

LIGHTTPD_CFG = """\
server.document-root = "{logdir}"
server.bind = "127.0.0.1"
server.port = {port}
server.modules = ({modules})
server.max-fds = 20000
server.max-connections = 9990
server.errorlog = "{logdir}/{name}-error.log"
wstunnel.server = ( "" => ( ( "host" => "127.0.0.1", "port" => {backend} ) ) )
wstunnel.frame-type = "binary"
"""

LIGHTTPD_TLS = """\
ssl.engine = "enable"
ssl.pemfile = "{cert}"
ssl.privkey = "{key}"
"""


def make_certs(directory):
    """{kind: {"cert", "key", "combined"}} for ECDSA P-256 and RSA-2048,
    made now; keys mode 0600."""
    out = {}
    for kind, newkey in (("ecdsa", ["-newkey", "ec", "-pkeyopt",
                                    "ec_paramgen_curve:P-256"]),
                         ("rsa", ["-newkey", "rsa:2048"])):
        cert = os.path.join(directory, "%s.pem" % kind)
        key = os.path.join(directory, "%s.key" % kind)
        p = subprocess.run(
            ["openssl", "req", "-x509"] + newkey + [
                "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost"],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("openssl req (%s) failed: %s" % (
                kind, p.stderr.decode(errors="replace")))
        os.chmod(key, 0o600)
        combined = os.path.join(directory, "%s.combined.pem" % kind)
        with open(cert) as c, open(key) as k, open(combined, "w") as f:
            f.write(c.read() + k.read())
        os.chmod(combined, 0o600)
        out[kind] = {"cert": cert, "key": key, "combined": combined}
    return out


def lighttpd_config(name, port, backend_port, logdir, cert=None):
    modules = '"mod_openssl", "mod_wstunnel"' if cert else '"mod_wstunnel"'
    text = LIGHTTPD_CFG.format(logdir=logdir, port=port, modules=modules,
                               name=name, backend=backend_port)
    if cert:
        text += LIGHTTPD_TLS.format(cert=cert["cert"], key=cert["key"])
    return text


def plan(args):
    """The TLS cells, ECDSA ones first (each target then restarts once,
    for the RSA certificate)."""
    scen = args.scenarios.split(",")
    cells = []

    def cell(sc, conns, size, version, cert, resume=False):
        return {"scenario": sc, "conns": conns, "size": size,
                "tls": version, "cert": cert, "resume": resume}

    certs = [c for c in CERTS if c in args.tls_certs.split(",")]
    for cert in certs:
        if "tput" in scen and cert == certs[0]:
            for c in args.conns:
                for s in args.sizes:
                    cells.append(cell("tput", c, s, "1.3", cert))
        if "rate" in scen:
            for v in ("1.3", "1.2"):
                cells.append(cell("rate", args.rate_conns, 32, v, cert))
            if cert == certs[0]:
                for v in ("1.3", "1.2"):
                    cells.append(cell("rate", args.rate_conns, 32, v, cert,
                                      resume=True))
    if "idle" in scen and certs:
        cells.append(cell("idle", args.idle_n, 32, "1.3", certs[0]))
    return cells


def key_suffix(c):
    if not c.get("tls"):
        return ""
    return " tls=%s %s%s" % (c["tls"], c["cert"],
                             " resumed" if c.get("resume") else "")


def label(c):
    """How a TLS cell is named in the table."""
    what = "TLS %s" % c["tls"]
    if c["scenario"] == "rate":
        return "%s %s" % (what, "resumed" if c.get("resume") else
                          "full, " + c["cert"].upper())
    return what


def wsbench_args(c):
    if not c.get("tls"):
        return []
    return ["-L", c["tls"]] + (["-R"] if c.get("resume") else [])


def rate_record(res, cpu, rec):
    """Resumption figures of a TLS rate cell: the share of handshakes
    that resumed, and the CPU per resumed session only when nearly all
    did (a target that gives no new TLS 1.3 ticket after a resumption
    makes every other handshake a full one: that is its figure then)."""
    done = res.get("tls_full", 0) + res.get("tls_resumed", 0)
    if not done:
        return
    rec["resumed_share"] = res["tls_resumed"] / done
    if cpu is not None and res["sessions"] and rec["resumed_share"] >= 0.9:
        rec["gw_cpu_us_per_resumed"] = cpu / res["sessions"] * 1e6
