#!/usr/bin/python3
"""checks.py -- the parts of tests/docker/check.sh that read files: the
Dockerfile's instructions, the compose file, and the desktop image's
entrypoint run outside Docker.

    checks.py dockerfile FILE STAGE KEY   print one fact of a stage:
        packages     the apt-get install packages of its RUNTIME_PACKAGES RUN
        entrypoint   ENTRYPOINT + CMD, one word a line
        healthcheck  HEALTHCHECK's CMD, one word a line
        user | expose | stopsignal | stages
    checks.py compose                     docker/compose.yaml: parses, and
                                          what it names exists
    checks.py desktop WSGATE              docker/desktop/start.sh on a spare
                                          display and port, then noVNC's
                                          WebSocket through WSGATE to it

Each check prints "ok ..." or "FAIL ..." lines (dockerfile prints the
fact) and exits 0 iff everything held; 77 means skipped (the reason is
printed).
"""

import base64
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DOCKER = os.path.join(ROOT, "docker")


# ---------------------------------------------------------------- Dockerfile

def instructions(path):
    """[(stage, INSTRUCTION, args, comment_above)], continuations joined."""
    out = []
    stage = None
    comment = []
    cont = None
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if cont is None and (not line.strip() or
                                 line.lstrip().startswith("#")):
                if line.lstrip().startswith("#"):
                    comment.append(line.strip("# ").rstrip())
                else:
                    comment = []
                continue
            text = line[:-1] if line.endswith("\\") else line
            cont = (cont + " " if cont is not None else "") + text.strip()
            if line.endswith("\\"):
                continue
            word, _, args = cont.partition(" ")
            word = word.upper()
            if word == "FROM":
                m = re.search(r"\bAS\s+(\S+)", args, re.I)
                stage = m.group(1) if m else "(final)"
            out.append((stage, word, args.strip(), " ".join(comment)))
            comment = []
            cont = None
    return out


def stage_facts(path, stage):
    """What a stage ends up with, following FROM <earlier stage>."""
    ins = instructions(path)
    byname = {}
    for s, word, args, _ in ins:
        byname.setdefault(s, []).append((word, args))
    facts = {}

    def walk(s):
        for word, args in byname[s]:
            if word == "FROM":
                base = re.split(r"\s+", args)[0]
                if base in byname and base != s:
                    walk(base)
            facts[word] = args
            if word == "RUN" and "apt-get install" in args:
                facts.setdefault("RUNS", []).append(args)
    walk(stage)
    return facts


def apt_packages(run):
    words = shlex.split(run.replace("\\", " "))
    pkgs, on = [], False
    for w in words:
        if w in ("&&", ";", "|", "||"):
            on = False
        elif on and not w.startswith("-"):
            pkgs.append(w)
        elif w == "install" and words[words.index(w) - 1] == "apt-get":
            on = True
    return pkgs


def cmd_dockerfile(path, stage, key):
    if key == "stages":
        print("\n".join(sorted({s for s, *_ in instructions(path)})))
        return 0
    f = stage_facts(path, stage)
    if key == "packages":
        for s, word, args, comment in instructions(path):
            if word == "RUN" and "RUNTIME_PACKAGES" in comment:
                print("\n".join(apt_packages(args)))
                return 0
        return 1
    if key == "entrypoint":
        words = json.loads(f["ENTRYPOINT"]) + json.loads(f.get("CMD", "[]"))
    elif key == "healthcheck":
        m = re.search(r"\bCMD\s+(\[.*\])\s*$", f["HEALTHCHECK"])
        words = json.loads(m.group(1))
    else:
        words = [f[key.upper()]]
    print("\n".join(words))
    return 0


# ---------------------------------------------------------------- compose

class Checks:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def ok(self, cond, what, detail=""):
        if cond:
            self.passed += 1
            print("ok   " + what)
        else:
            self.failed += 1
            print("FAIL " + what + (": " + detail if detail else ""))
        return cond


def cmd_compose():
    try:
        import yaml
    except ImportError:
        print("FAIL compose: python3-yaml is not installed (scripts/deps.sh "
              "test installs it)")
        return 1
    c = Checks()
    path = os.path.join(DOCKER, "compose.yaml")
    with open(path) as f:
        doc = yaml.safe_load(f)
    c.ok(isinstance(doc, dict) and isinstance(doc.get("services"), dict),
         "compose.yaml parses (YAML) and has services")
    svc = doc.get("services", {})
    desk, gw = svc.get("desktop", {}), svc.get("wsgate", {})
    c.ok(desk and gw, "services desktop and wsgate", str(list(svc)))

    def build_of(s):
        b = s.get("build", {})
        ctx = os.path.normpath(os.path.join(DOCKER, b.get("context", ".")))
        return ctx, os.path.join(ctx, b.get("dockerfile", "Dockerfile")), \
            b.get("target")
    ctx, dfile, _ = build_of(desk)
    c.ok(os.path.isfile(dfile), "desktop builds from %s" %
         os.path.relpath(dfile, ROOT), dfile)
    facts = stage_facts(dfile, "(final)") if os.path.isfile(dfile) else {}
    entry = json.loads(facts.get("ENTRYPOINT", "[]"))
    copies = [a.split() for s, w, a, _ in instructions(dfile)
              if w == "COPY"] if os.path.isfile(dfile) else []
    # COPY src... dest/ : the ENTRYPOINT is one of the files copied in.
    copied = {os.path.join(a[-1], os.path.basename(f)) if
              a[-1].endswith("/") else a[-1]: f
              for a in copies for f in a[:-1]}
    src = copied.get((entry or [""])[0])
    c.ok(src is not None and os.path.isfile(os.path.join(ctx, src)),
         "desktop ENTRYPOINT is a file its build context copies in",
         str(entry))
    c.ok(all(os.path.isfile(os.path.join(ctx, f)) for f in copied.values()),
         "every file the desktop image copies is in its context",
         str(sorted(copied.values())))
    ctx, dfile, target = build_of(gw)
    c.ok(os.path.isfile(dfile) and ctx == ROOT,
         "wsgate builds from the repository with docker/Dockerfile", dfile)
    stages = {s for s, *_ in instructions(dfile)} if os.path.isfile(dfile) \
        else set()
    c.ok(target in stages, "wsgate's target %r is a stage of the "
         "Dockerfile" % target, str(sorted(stages)))
    env = desk.get("environment", {})
    c.ok("VNC_PASSWORD" in env and ":?" in str(env["VNC_PASSWORD"]),
         "desktop requires VNC_PASSWORD (no default password)")
    c.ok("5900" in [str(p) for p in desk.get("expose", [])] and
         "ports" not in desk, "desktop exposes 5900 to the compose network "
         "only")

    mounts = {}
    for v in gw.get("volumes", []):
        src, dst = v.split(":")[:2]
        mounts[dst] = os.path.normpath(os.path.join(DOCKER, src))
        c.ok(os.path.exists(mounts[dst]), "volume %s exists" % src)
    cmd = gw.get("command", [])
    conf = re.sub(r"\$\{WSGATE_CONFIG:-([^}]*)\}", r"\1",
                  cmd[cmd.index("-c") + 1]) if "-c" in cmd else ""
    c.ok(conf in mounts, "the default configuration %s is mounted" % conf,
         str(list(mounts)))
    c.ok("/etc/wsgate/routes.d" in mounts, "routes come from a mounted "
         "routes.d")
    published = [str(p) for p in gw.get("ports", [])]
    c.ok(all(p.startswith("127.0.0.1:") for p in published) and
         any(p.endswith(":8080") for p in published),
         "wsgate publishes 8080 (and 8443) on 127.0.0.1 only", str(published))
    # The route's backend is the desktop service, at its exposed port.
    routes = mounts.get("/etc/wsgate/routes.d", "")
    backends = []
    for name in sorted(os.listdir(routes)) if os.path.isdir(routes) else []:
        with open(os.path.join(routes, name)) as f:
            backends += re.findall(r"(?m)^backend\s*=\s*(\S+)", f.read())
    c.ok("desktop:5900" in backends, "a route's backend is desktop:5900",
         str(backends))
    for dst, src in mounts.items():
        if dst.endswith(".ini"):
            with open(src) as f:
                text = f.read()
            c.ok("web_root = /usr/share/novnc" in text and
                 "routes_dir = routes.d" in text,
                 "%s serves noVNC and reads routes.d" %
                 os.path.relpath(src, ROOT))
    # SIGTERM: wsgate exits at most drain_timeout + 2 x close_timeout + 1 s
    # later (README "Shutdown"); compose's SIGKILL must not come first.
    grace = str(gw.get("stop_grace_period", "10s"))
    m = re.fullmatch(r"(\d+)s", grace)
    for dst, src in mounts.items():
        if dst.endswith(".ini"):
            with open(src) as f:
                text = f.read()
            drain = re.findall(r"(?m)^drain_timeout\s*=\s*(\d+)\s*$", text)
            close = re.findall(r"(?m)^close_timeout\s*=\s*(\d+)\s*$", text)
            need = int((drain or ["30"])[-1]) + 2 * max(
                int(x) for x in close or ["5"]) + 1
            c.ok(m and int(m.group(1)) > need, "stop_grace_period %s is "
                 "above %s's drain_timeout + 2 x close_timeout + 1 s (%d s)"
                 % (grace, os.path.relpath(src, ROOT), need))
    print("compose: %d passed, %d failed" % (c.passed, c.failed))
    return 1 if c.failed else 0


# ---------------------------------------------------------------- desktop

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, limit, what):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out after %.0fs waiting for %s" %
                         (limit, what))


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        b = s.recv(n - len(buf))
        if not b:
            raise AssertionError("connection closed after %r" % buf)
        buf += b
    return buf


def ws_frame(payload):
    key = os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes([0x82, 0x80 | len(payload)]) + key + masked


def ws_read(s):
    b0, b1 = recv_exact(s, 2)
    n = b1 & 0x7f
    if n == 126:
        n = struct.unpack("!H", recv_exact(s, 2))[0]
    return b0 & 0x0f, recv_exact(s, n)


def rfb_through(port, path, origin):
    """(version line, security types) from a VNC server behind wsgate."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                   "Sec-WebSocket-Protocol: binary\r\nOrigin: %s\r\n\r\n" %
                   (path, port, key, origin)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += recv_exact(s, 1)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise AssertionError("upgrade answered %r" % status)
        data = b""
        while len(data) < 12:
            data += ws_read(s)[1]
        version = data[:12]
        s.sendall(ws_frame(version))
        types = data[12:]
        while not types:
            types = ws_read(s)[1]
        n = types[0]
        while len(types) < 1 + n:
            types += ws_read(s)[1]
        return version, list(types[1:1 + n])
    finally:
        s.close()


def cmd_desktop(wsgate):
    need = [p for p in ("Xvfb", "x11vnc", "twm", "xterm")
            if shutil.which(p) is None]
    if need:
        print("skip desktop entrypoint: not installed: %s (scripts/deps.sh "
              "e2e installs them)" % " ".join(need))
        return 77
    novnc = "/usr/share/novnc/vnc.html"
    c = Checks()
    tmp = tempfile.mkdtemp(prefix="wsgate-desktop-")
    procs, desktops = [], []
    try:
        vnc_port = free_port()
        for attempt in range(5):
            n = random.randrange(200, 400)
            if os.path.exists("/tmp/.X11-unix/X%d" % n) or \
                    os.path.exists("/tmp/.X%d-lock" % n):
                continue
            env = dict(os.environ, VNC_PASSWORD="test-only", HOME=tmp,
                       VNC_PORT=str(vnc_port), VNC_LISTEN="127.0.0.1",
                       DISPLAY_NUM=str(n), GEOMETRY="800x600x24")
            log = open(os.path.join(tmp, "desktop.log"), "w")
            t0 = time.monotonic()
            p = subprocess.Popen([os.path.join(DOCKER, "desktop",
                                               "start.sh")],
                                 env=env, stdout=log, stderr=log,
                                 stdin=subprocess.DEVNULL,
                                 start_new_session=True)
            desktops.append(p)
            try:
                wait_for(lambda: p.poll() is not None or
                         socket.socket().connect_ex(
                             ("127.0.0.1", vnc_port)) == 0, 20,
                         "x11vnc to listen")
            except AssertionError:
                pass
            if p.poll() is None:
                break
        else:
            with open(os.path.join(tmp, "desktop.log")) as f:
                print(f.read()[-2000:])
            c.ok(False, "desktop/start.sh starts")
            return 1
        took = time.monotonic() - t0
        with socket.create_connection(("127.0.0.1", vnc_port), 5) as s:
            s.settimeout(5)
            hello = recv_exact(s, 12)
        c.ok(hello == b"RFB 003.008\n", "desktop/start.sh (Xvfb :%d, twm, "
             "xterm, x11vnc) answers RFB on its port after %.1fs" %
             (n, took), repr(hello))
        # The window manager and the xterm run in its session (started in
        # the background: give them a moment).
        want = {"Xvfb", "twm", "xterm", "x11vnc"}

        def session():
            return set(subprocess.run(
                ["ps", "-o", "comm=", "-s", str(p.pid)], capture_output=True,
                text=True).stdout.split())
        try:
            wait_for(lambda: want <= session(), 10, "twm and xterm")
        except AssertionError:
            pass
        have = session()
        if not c.ok(want <= have, "its session runs Xvfb, twm, xterm and "
                    "x11vnc", str(sorted(have))):
            with open(os.path.join(tmp, "desktop.log")) as f:
                print(f.read()[-2000:])

        # wsgate on the compose configuration, with the compose service
        # name replaced by this loopback port: noVNC's page and WebSocket.
        conf = os.path.join(tmp, "etc")
        os.makedirs(os.path.join(conf, "routes.d"))
        gw_port = free_port()
        with open(os.path.join(DOCKER, "compose", "wsgate.ini")) as f:
            text = f.read().replace("0.0.0.0:8080", "127.0.0.1:%d" % gw_port)
        with open(os.path.join(conf, "wsgate.ini"), "w") as f:
            f.write(text)
        with open(os.path.join(DOCKER, "compose", "routes.d",
                               "desktop.ini")) as f:
            text = f.read().replace("desktop:5900", "127.0.0.1:%d" % vnc_port)
        with open(os.path.join(conf, "routes.d", "desktop.ini"), "w") as f:
            f.write(text)
        if not os.path.exists(novnc):
            print("skip noVNC page: %s is not installed (scripts/deps.sh e2e)"
                  % novnc)
            return 1 if c.failed else 0
        gwlog = open(os.path.join(tmp, "wsgate.log"), "w")
        gw = subprocess.Popen([wsgate, "-c", os.path.join(conf, "wsgate.ini")],
                              stdout=gwlog, stderr=gwlog,
                              stdin=subprocess.DEVNULL)
        procs.append(gw)
        wait_for(lambda: subprocess.run(
            [wsgate, "--probe", "http://127.0.0.1:%d/healthz" % gw_port, "1"],
            capture_output=True).returncode == 0, 10, "wsgate's health path")
        page = subprocess.run([wsgate, "--probe", "http://127.0.0.1:%d/"
                               "vnc.html" % gw_port], capture_output=True,
                              text=True)
        c.ok(page.returncode == 0, "wsgate serves noVNC's vnc.html from the "
             "compose web root", page.stderr)
        version, types = rfb_through(gw_port, "/websockify",
                                     "http://localhost:8080")
        c.ok(version == b"RFB 003.008\n" and 2 in types and 1 not in types,
             "through wsgate's /websockify the desktop speaks RFB 3.8 and "
             "asks for its password (security types %s)" % types,
             repr(version))
        gw.send_signal(signal.SIGTERM)
        c.ok(gw.wait(15) == 0, "wsgate exits 0 on SIGTERM")
    except AssertionError as e:
        c.ok(False, "desktop", str(e))
        for name in ("desktop.log", "wsgate.log"):
            path = os.path.join(tmp, name)
            if os.path.exists(path):
                with open(path) as f:
                    print("---- %s\n%s" % (name, f.read()[-3000:]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
        # Each start.sh attempt's session: Xvfb, twm and xterm too.
        for p in desktops:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    break
                time.sleep(0.2)
            if p.poll() is None:
                p.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if c.failed else 0


def main(argv):
    if len(argv) >= 4 and argv[0] == "dockerfile":
        return cmd_dockerfile(argv[1], argv[2], argv[3])
    if argv == ["compose"]:
        return cmd_compose()
    if len(argv) == 2 and argv[0] == "desktop":
        return cmd_desktop(argv[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
