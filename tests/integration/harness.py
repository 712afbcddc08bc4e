"""harness.py -- run the real wsgate binary against real TCP backends.

Building blocks for the integration tests (and later TLS, conformance and
browser tests):

  Gateway        start build/wsgate on a generated config, read its log,
                 stop it, and check it exited 0 with no sanitizer report
  config()       build INI text from dicts (listen = 127.0.0.1:0 etc.)
  *Backend       TCP services in threads on 127.0.0.1:0 that record bytes
  ClosedPort     a port where connecting is refused (for 502)
  Blackhole      a port where connecting hangs (for 504)
  RawClient      a plain socket: arbitrary HTTP bytes, hand-built frames
  build_frame / parse_frame / upgrade_request / accept_key

A test, typically:

    class T(GatewayTestCase):
        def test_echo(self):
            echo = self.backend(EchoBackend)
            gw = self.gateway({"echo": {"path": "/echo",
                                        "backend": echo.addr}})
            c = self.raw(gw)
            c.handshake("/echo")
            c.send_frame(OP_BINARY, b"hi")
            self.assertEqual(c.recv_data(2)[0], b"hi")

(or `async with ws_connect(gw, "/echo") as ws:` for the websockets
client).  The gateway and backends are stopped when the test ends; the
test fails if wsgate did not exit 0 or printed a sanitizer report.

The gateway runs with -v and listen = 127.0.0.1:0: the port comes from
its "listening on" log lines, read before its "ready" line (logged once
the signal handlers are installed).

Everything waits with a deadline: nothing here can block forever.  Times
are multiplied by SCALE, which run.py raises for sanitizer builds and
valgrind.  WSGATE_WRAPPER puts a command in front of the binary (run.py
--valgrind sets a memcheck one; each process then logs to its own file,
checked when the gateway exits).
"""

import asyncio
import base64
import hashlib
import os
import re
import resource
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

# Set by run.py; WSGATE_BINARY lets one run a test file directly:
#   WSGATE_BINARY=build/wsgate /usr/bin/python3 -m unittest test_relay
BINARY = os.environ.get("WSGATE_BINARY", "build/wsgate")
SCALE = float(os.environ.get("WSGATE_TEST_SCALE", "1"))
# An ASan/UBSan build: slower, and its allocator keeps freed memory in
# quarantine, so RSS grows with the bytes that flowed.
SANITIZER = os.environ.get("WSGATE_TEST_SANITIZER", "") == "1"
# A command put in front of the binary, split on spaces, e.g.
#   WSGATE_WRAPPER="valgrind --tool=memcheck --leak-check=full"
# A valgrind wrapper gets --log-file=<gateway dir>/valgrind.%p.log, and
# the gateway's exit check then reads that report too.
WRAPPER = os.environ.get("WSGATE_WRAPPER", "").split()
VALGRIND = bool(WRAPPER) and os.path.basename(WRAPPER[0]) == "valgrind"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:",
                   "LeakSanitizer", "ERROR: UndefinedBehaviorSanitizer")

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA


def timeout(seconds):
    """A timeout scaled for slow (sanitizer) builds."""
    return seconds * SCALE


def wait_until(pred, limit=5.0, what="condition", interval=0.01):
    """Poll pred() until true; AssertionError after limit (scaled) s."""
    deadline = time.monotonic() + timeout(limit)
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" %
                                 (timeout(limit), what))
        time.sleep(interval)


def run_async(coro, limit=30.0):
    """Run a coroutine to completion with a deadline (scaled)."""
    async def bounded():
        return await asyncio.wait_for(coro, timeout(limit))
    return asyncio.run(bounded())


# ---------------------------------------------------------------- config

GATEWAY_DEFAULTS = {
    "listen": "127.0.0.1:0",
    # Small, so that stopping a gateway with open sessions is quick.
    "drain_timeout": "1",
    "close_timeout": "2",
    "handshake_timeout": "5",
}


def config(routes, gateway=None, defaults=True):
    """INI text for a [gateway] section and [route:NAME] sections.

    routes: {name: {key: value}}; values may be lists (repeated keys).
    gateway: extra/overriding [gateway] keys (None value drops a key).
    A route gets origins = * and allow_missing_origin = yes unless given.
    """
    gw = dict(GATEWAY_DEFAULTS) if defaults else {}
    gw.update(gateway or {})
    out = ["[gateway]"]
    out += _keys(gw)
    for name, keys in routes.items():
        r = {"origins": "*", "allow_missing_origin": "yes"}
        r.update(keys)
        out.append("")
        out.append("[route:%s]" % name)
        out += _keys(r)
    return "\n".join(out) + "\n"


def _keys(d):
    lines = []
    for k, v in d.items():
        if v is None:
            continue
        for one in (v if isinstance(v, (list, tuple)) else [v]):
            lines.append("%s = %s" % (k, one))
    return lines


# ---------------------------------------------------------------- gateway

class Gateway:
    """The real binary on a temporary config.

        with Gateway(BINARY, config({...})) as gw:
            ... gw.port, gw.wait_log(r"close .* code=1000") ...

    On leaving the block the process is stopped (SIGTERM) if still
    running; the block then fails unless it exited 0 and printed no
    sanitizer report.  The log is printed when the block fails, which
    unittest's buffered output shows next to the failure.
    """

    READY = re.compile(r" ready \(")
    LISTENING = re.compile(r"listening on (.*)$")

    def __init__(self, binary=None, config_text="", extra_files=None,
                 args=(), env=None, wait_ready=True, nofile=None,
                 argv=None):
        self.binary = os.path.abspath(binary or BINARY)
        self.dir = tempfile.mkdtemp(prefix="wsgate-it-")
        self.config_path = os.path.join(self.dir, "wsgate.ini")
        self.write_config(config_text)
        for rel, text in (extra_files or {}).items():
            self.write_file(rel, text)
        self.args = list(args)
        # The whole command line instead of "-c FILE -v ARGS" (websockify's
        # form).
        self.argv = None if argv is None else list(argv)
        self.env = env
        # What the gateway's stdin is: a listening socket for --inetd.
        self.stdin = subprocess.DEVNULL
        self.wait_ready = wait_ready
        # An open file limit (soft and hard) for the gateway: what its
        # automatic limits are derived from.
        self.nofile = nofile
        self.lines = []
        self.raw_lines = []         # the same, as bytes (newline kept)
        self.proc = None
        self.ports = []
        self.returncode = None
        self._cond = threading.Condition()
        self._reader = None

    # -- files

    def write_file(self, rel, text):
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def write_config(self, text):
        """Replace the config (e.g. before reload()); written atomically."""
        tmp = self.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.config_path)

    # -- life

    def start(self):
        cmd = (wrapper_prefix(self.dir) + [self.binary, "-c",
                                           self.config_path, "-v"] +
               self.args)
        if self.argv is not None:
            cmd = wrapper_prefix(self.dir) + [self.binary] + self.argv
        def limit_fds(n=self.nofile):
            resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
        self.proc = subprocess.Popen(cmd, stdin=self.stdin,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=self.env,
                                     cwd=self.dir,
                                     preexec_fn=limit_fds if self.nofile
                                     else None)
        self._reader = threading.Thread(target=self._read_stderr,
                                        daemon=True)
        self._reader.start()
        if self.wait_ready:
            # Whatever goes wrong here, leave no gateway running.
            try:
                self.wait_log(self.READY, 10, what="the ready line")
                for line in self.lines:
                    m = self.LISTENING.search(line)
                    if m:
                        for addr in m.group(1).split():
                            if addr.startswith("unix:") or \
                                    not re.search(r":\d+$", addr):
                                continue    # "(descriptor 0)" and such
                            self.ports.append(
                                int(addr.rsplit(":", 1)[1]))
            except BaseException:
                self._kill()
                self._dump()
                raise
        return self

    def _read_stderr(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._cond:
                self.raw_lines.append(raw)
                self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    @property
    def port(self):
        return self.ports[0]

    @property
    def pid(self):
        return self.proc.pid

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def url(self, path="/", port=None):
        return "ws://127.0.0.1:%d%s" % (port or self.port, path)

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def reload(self, config_text=None):
        """Rewrite the config (if given), SIGHUP, wait for the outcome."""
        if config_text is not None:
            self.write_config(config_text)
        mark = len(self.lines)
        self.send_signal(signal.SIGHUP)
        return self.wait_log(r"configuration reloaded|reload failed",
                             10, start=mark)

    def stop(self, sig=signal.SIGTERM, limit=15):
        """Send sig, wait for the exit (scaled limit), return its code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.returncode = self.proc.wait(timeout(limit))
        except subprocess.TimeoutExpired:
            self._kill()
            raise AssertionError("wsgate did not exit within %.0fs of "
                                 "signal %d" % (timeout(limit), sig))
        finally:
            if self._reader is not None:
                self._reader.join(timeout(5))
        return self.returncode

    def wait_exit(self, limit=10):
        """Wait (scaled limit) for the process to exit by itself; return
        its exit code."""
        try:
            self.returncode = self.proc.wait(timeout(limit))
        except subprocess.TimeoutExpired:
            raise AssertionError("wsgate still running after %.0fs" %
                                 timeout(limit))
        if self._reader is not None:
            self._reader.join(timeout(5))
        return self.returncode

    def _kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.returncode = self.proc.wait(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, etype, exc, tb):
        # The directory goes last: check_exit() reads valgrind's logs
        # there.
        try:
            try:
                if self.returncode is None:
                    self.stop()
            except AssertionError:
                self._dump()
                if etype is None:
                    raise
                return False
            if etype is not None:
                self._dump()
                return False
            try:
                self.check_exit()
            except AssertionError:
                self._dump()
                raise
            return False
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def check_exit(self):
        report = self.sanitizer_report()
        if report:
            raise AssertionError("sanitizer report from wsgate:\n" + report)
        report = valgrind_report(self.dir)
        if report:
            raise AssertionError("valgrind report from wsgate:\n" + report)
        if self.returncode != 0:
            raise AssertionError("wsgate exited %s" % self.returncode)

    def sanitizer_report(self):
        for i, line in enumerate(self.lines):
            if any(m in line for m in SANITIZER_MARKS):
                return "\n".join(self.lines[max(0, i - 2):i + 40])
        return ""

    def _dump(self):
        print("---- wsgate log (%s, exit %s)" % (self.binary,
                                                  self.returncode))
        for line in self.lines[-200:]:
            print(line)
        print("---- end of wsgate log")

    # -- log

    def wait_log(self, regex, limit=5.0, start=0, what=None):
        """The first match of regex in a log line at index >= start.

        Waits up to limit (scaled) seconds; AssertionError otherwise.
        """
        rx = re.compile(regex) if isinstance(regex, str) else regex
        deadline = time.monotonic() + timeout(limit)
        i = start
        with self._cond:
            while True:
                while i < len(self.lines):
                    m = rx.search(self.lines[i])
                    if m:
                        return m
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and
                                 not self._reader.is_alive()):
                    raise AssertionError(
                        "no log line matching %r (%s) within %.1fs; "
                        "wsgate %s" % (rx.pattern, what or "",
                                       timeout(limit),
                                       "running" if self.running()
                                       else "exited"))
                self._cond.wait(min(left, 0.2))

    def find_log(self, regex, start=0):
        """All matches so far (no waiting)."""
        rx = re.compile(regex)
        with self._cond:
            lines = list(self.lines[start:])
        return [m for m in (rx.search(ln) for ln in lines) if m]

    def mark(self):
        """Index of the next log line: pass as start= to wait_log."""
        with self._cond:
            return len(self.lines)

    # -- /proc

    def rss_kb(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS for pid %d" % self.pid)

    def fd_count(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))


def wrapper_prefix(logdir):
    """WRAPPER as a command prefix; valgrind logs to files in logdir (not
    to stderr, where the gateway's own log is read)."""
    if not VALGRIND:
        return list(WRAPPER)
    return WRAPPER + ["--log-file=%s" % os.path.join(logdir,
                                                     "valgrind.%p.log")]


# A clean memcheck report has "ERROR SUMMARY: 0 errors" and, with
# --leak-check=full, no definite or indirect leak.
_VG_ERRORS = re.compile(r"ERROR SUMMARY: (\d+) errors")
_VG_LOST = re.compile(r"(definitely|indirectly) lost: ([\d,]+) bytes")


def valgrind_report(logdir):
    """The text of every valgrind log in logdir that shows an error or a
    definite/indirect leak ("" when clean or not under valgrind).  A log
    without an error summary (valgrind killed) counts as a report."""
    if not VALGRIND:
        return ""
    bad = []
    try:
        names = sorted(n for n in os.listdir(logdir)
                       if n.startswith("valgrind."))
    except OSError:
        names = []
    for name in names:
        with open(os.path.join(logdir, name), errors="replace") as f:
            text = f.read()
        errors = [int(m.group(1)) for m in _VG_ERRORS.finditer(text)]
        lost = [int(m.group(2).replace(",", ""))
                for m in _VG_LOST.finditer(text)]
        if not errors or any(errors) or any(lost):
            bad.append("==== %s\n%s" % (name, text[-20000:]))
    return "\n".join(bad)


def run_binary(args, limit=10, binary=None, cwd=None):
    """Run wsgate to completion (e.g. -t, -V): (exit code, stdout, stderr).
    AssertionError if it printed a sanitizer (or valgrind) report."""
    logdir = tempfile.mkdtemp(prefix="wsgate-run-")
    try:
        p = subprocess.run(wrapper_prefix(logdir) +
                           [os.path.abspath(binary or BINARY)] + list(args),
                           cwd=cwd, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout(limit))
        vg = valgrind_report(logdir)
    finally:
        shutil.rmtree(logdir, ignore_errors=True)
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    if any(m in err for m in SANITIZER_MARKS):
        raise AssertionError("sanitizer report from wsgate %s:\n%s" %
                             (" ".join(args), err))
    if vg:
        raise AssertionError("valgrind report from wsgate %s:\n%s" %
                             (" ".join(args), vg))
    return p.returncode, out, err


# ---------------------------------------------------------------- backends

class BackendConn:
    """One accepted backend connection and what happened on it."""

    def __init__(self, sock, peer):
        self.sock = sock
        self.peer = peer
        self.received = bytearray()
        self.eof = threading.Event()      # the gateway shut its side
        self.closed = threading.Event()   # we closed the socket
        self.error = None
        self.lock = threading.Lock()

    def data(self):
        with self.lock:
            return bytes(self.received)

    def nreceived(self):
        with self.lock:
            return len(self.received)

    def _record(self, b):
        with self.lock:
            self.received += b


class Backend:
    """A TCP service on 127.0.0.1:0 in daemon threads.

    Subclasses override handle(conn).  Every connection is recorded in
    .conns.  The listener and all connections close on stop() / leaving
    the with block, or after lifetime seconds at the latest.
    """

    def __init__(self, lifetime=120, backlog=16):
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(backlog)
        self.lsock.settimeout(0.05)
        self.port = self.lsock.getsockname()[1]
        self.addr = "127.0.0.1:%d" % self.port
        self.conns = []
        self.stopping = threading.Event()
        self.deadline = time.monotonic() + timeout(lifetime)
        self._cond = threading.Condition()
        self._threads = []
        t = threading.Thread(target=self._accept_loop, daemon=True)
        t.start()
        self._threads.append(t)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def expired(self):
        return self.stopping.is_set() or time.monotonic() > self.deadline

    def _accept_loop(self):
        while not self.expired():
            try:
                sock, peer = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            conn = BackendConn(sock, peer)
            with self._cond:
                self.conns.append(conn)
                self._cond.notify_all()
            t = threading.Thread(target=self._run, args=(conn,),
                                 daemon=True)
            t.start()
            self._threads.append(t)
        self.lsock.close()

    def _run(self, conn):
        conn.sock.settimeout(0.05)
        try:
            self.handle(conn)
        except OSError as e:
            conn.error = e
        finally:
            conn.closed.set()
            try:
                conn.sock.close()
            except OSError:
                pass

    def handle(self, conn):
        raise NotImplementedError

    # helpers for handle()

    def recv_some(self, conn, n=65536):
        """Bytes, b"" on EOF, None on timeout tick (check expired())."""
        try:
            b = conn.sock.recv(n)
        except socket.timeout:
            return None
        if b:
            conn._record(b)
        else:
            conn.eof.set()
        return b

    def send_all(self, conn, data):
        """sendall that gives up when the backend stops/expires."""
        view = memoryview(data)
        while view and not self.expired():
            try:
                n = conn.sock.send(view)
            except socket.timeout:
                continue
            view = view[n:]
        return not view

    def drain_until_eof(self, conn):
        while not self.expired():
            if self.recv_some(conn) == b"":
                return True
        return False

    # for tests

    def wait_conn(self, index=0, limit=5.0):
        """The index-th accepted connection, waiting for it to arrive."""
        deadline = time.monotonic() + timeout(limit)
        with self._cond:
            while len(self.conns) <= index:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("backend %s: no connection #%d "
                                         "within %.1fs" % (
                                             self.addr, index,
                                             timeout(limit)))
                self._cond.wait(left)
            return self.conns[index]

    def wait_received(self, n, index=0, limit=10.0):
        """Wait until connection index has received at least n bytes."""
        conn = self.wait_conn(index, limit)
        wait_until(lambda: conn.nreceived() >= n or conn.eof.is_set(),
                   limit, "%d bytes at backend %s" % (n, self.addr))
        return conn.data()

    def wait_eof(self, index=0, limit=5.0):
        conn = self.wait_conn(index, limit)
        if not conn.eof.wait(timeout(limit)):
            raise AssertionError("backend %s: no EOF from the gateway "
                                 "within %.1fs" % (self.addr,
                                                   timeout(limit)))
        return conn.data()

    def stop(self):
        self.stopping.set()
        for t in self._threads:
            t.join(timeout(5))


class EchoBackend(Backend):
    """Echoes every byte; records what it received; closes after EOF."""

    def handle(self, conn):
        while not self.expired():
            b = self.recv_some(conn)
            if b is None:
                continue
            if not b:
                return
            if not self.send_all(conn, b):
                return


class SinkBackend(Backend):
    """Reads and records everything, sends nothing; closes after EOF."""

    def handle(self, conn):
        self.drain_until_eof(conn)


class SourceBackend(Backend):
    """Sends data (bytes, or a callable returning bytes per connection),
    then closes (close_after) or keeps reading until EOF."""

    def __init__(self, data, close_after=True, **kw):
        self.payload = data
        self.close_after = close_after
        self.sent = threading.Event()
        super().__init__(**kw)

    def handle(self, conn):
        data = self.payload() if callable(self.payload) else self.payload
        self.send_all(conn, data)
        self.sent.set()
        if not self.close_after:
            self.drain_until_eof(conn)


class ChunkSourceBackend(Backend):
    """Sends `count` copies of `block` as fast as the gateway takes them,
    then closes.  For large streams without one giant bytes object."""

    def __init__(self, block, count, **kw):
        self.block = block
        self.count = count
        self.nsent = 0
        self.done = threading.Event()
        super().__init__(**kw)

    def handle(self, conn):
        for _ in range(self.count):
            if not self.send_all(conn, self.block):
                return
            self.nsent += len(self.block)
        self.done.set()


class CloseBackend(Backend):
    """Accepts and closes at once."""

    def handle(self, conn):
        pass


class HoldBackend(Backend):
    """Accepts and neither reads nor writes (a stuck service) until
    stopped, or until release(): then it reads (and records) everything
    until EOF, like a sink.  For backpressure and drain tests."""

    def __init__(self, **kw):
        self.released = threading.Event()
        super().__init__(**kw)

    def release(self):
        self.released.set()

    def handle(self, conn):
        while not self.expired() and not self.released.wait(0.05):
            pass
        self.drain_until_eof(conn)


class ClosedPort:
    """A loopback port where connect() is refused: bound, not listening
    (kept bound so that nothing else can take it meanwhile)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.addr = "127.0.0.1:%d" % self.port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        self.sock.close()


class Blackhole:
    """A loopback port where connect() hangs: a listener that never
    accepts, its accept queue filled by our own connections.  Linux drops
    SYNs to a listener whose accept queue is full (unless
    net.ipv4.tcp_abort_on_overflow), so further connects stay in
    SYN_SENT until they time out."""

    def __init__(self):
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(0)
        self.port = self.lsock.getsockname()[1]
        self.addr = "127.0.0.1:%d" % self.port
        self.fillers = []
        for _ in range(8):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", self.port))
            self.fillers.append(s)
            if not self._established(s):
                break
        else:
            self.close()
            raise AssertionError("cannot fill the accept queue of a "
                                 "listen(0) socket")

    @staticmethod
    def _established(s, wait=0.3):
        _, w, _ = select.select([], [s], [], wait)
        return bool(w) and s.getsockopt(socket.SOL_SOCKET,
                                        socket.SO_ERROR) == 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        for s in self.fillers:
            s.close()
        self.lsock.close()


# ---------------------------------------------------------------- frames

def accept_key(key):
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 4.2.2)."""
    if isinstance(key, str):
        key = key.encode()
    return base64.b64encode(hashlib.sha1(key + WS_GUID).digest()).decode()


def new_key():
    return base64.b64encode(os.urandom(16)).decode()


def mask_bytes(data, key):
    """XOR data with the 4-byte key (RFC 6455 5.3); fast for big data."""
    n = len(data)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^
            int.from_bytes(k, "little")).to_bytes(n, "little")


def build_frame(opcode, payload=b"", fin=True, rsv=0, mask=True, key=None,
                length=None, len_bytes=None):
    """One frame's bytes, any combination allowed (RFC 6455 5.2).

    rsv: the three RSV bits as a number 0..7; mask: a masked (client)
    frame, with key or a random one; length: lie about the payload length
    (the header says length, the payload bytes are sent as given);
    len_bytes: 0, 2 or 8 to force the 7-bit, 16-bit or 64-bit length
    field (non-minimal encodings: RFC 6455 5.2 allows them).
    """
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0x0F)
    mbit = 0x80 if mask else 0
    if len_bytes is None:
        len_bytes = 0 if n < 126 else 2 if n < 65536 else 8
    if len_bytes == 0:
        hdr = struct.pack("!BB", b0, mbit | n)
    elif len_bytes == 2:
        hdr = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, mbit | 127, n)
    if mask:
        key = key if key is not None else os.urandom(4)
        return hdr + key + mask_bytes(payload, key)
    return hdr + payload


def close_payload(code=None, reason=b""):
    if code is None:
        return b""
    if isinstance(reason, str):
        reason = reason.encode()
    return struct.pack("!H", code) + reason


class Frame:
    def __init__(self, fin, rsv, opcode, masked, payload):
        self.fin = fin
        self.rsv = rsv
        self.opcode = opcode
        self.masked = masked
        self.payload = payload

    @property
    def close_code(self):
        if self.opcode != OP_CLOSE or len(self.payload) < 2:
            return None
        return struct.unpack("!H", self.payload[:2])[0]

    @property
    def close_reason(self):
        return self.payload[2:].decode("utf-8", "replace")

    def __repr__(self):
        return "Frame(op=%d fin=%d rsv=%d len=%d%s)" % (
            self.opcode, self.fin, self.rsv, len(self.payload),
            " code=%s" % self.close_code if self.opcode == OP_CLOSE
            else "")


def parse_frame(buf):
    """(Frame, bytes used) from the front of buf, or (None, 0) if more
    bytes are needed."""
    if len(buf) < 2:
        return None, 0
    b0, b1 = buf[0], buf[1]
    n = b1 & 0x7F
    pos = 2
    if n == 126:
        if len(buf) < 4:
            return None, 0
        n = struct.unpack_from("!H", buf, 2)[0]
        pos = 4
    elif n == 127:
        if len(buf) < 10:
            return None, 0
        n = struct.unpack_from("!Q", buf, 2)[0]
        pos = 10
    masked = bool(b1 & 0x80)
    key = None
    if masked:
        if len(buf) < pos + 4:
            return None, 0
        key = bytes(buf[pos:pos + 4])
        pos += 4
    if len(buf) < pos + n:
        return None, 0
    payload = bytes(buf[pos:pos + n])
    if masked:
        payload = mask_bytes(payload, key)
    return Frame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F, masked,
                 payload), pos + n


# ---------------------------------------------------------------- raw client

def upgrade_request(path="/", host="127.0.0.1", key=None, origin=None,
                    protocols=None, version="13", method="GET",
                    headers=(), omit=(), http="HTTP/1.1"):
    """The bytes of a WebSocket upgrade request.

    headers: extra (name, value) pairs; omit: names of standard headers
    to leave out ("Upgrade", "Connection", "Sec-WebSocket-Key", ...).
    """
    std = [("Host", host),
           ("Upgrade", "websocket"),
           ("Connection", "Upgrade"),
           ("Sec-WebSocket-Key", key or new_key()),
           ("Sec-WebSocket-Version", version)]
    if origin is not None:
        std.append(("Origin", origin))
    if protocols is not None:
        std.append(("Sec-WebSocket-Protocol", protocols))
    omitted = {o.lower() for o in omit}
    lines = ["%s %s %s" % (method, path, http)]
    lines += ["%s: %s" % (k, v) for k, v in std
              if k.lower() not in omitted]
    lines += ["%s: %s" % (k, v) for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Response:
    def __init__(self, status, reason, headers, raw):
        self.status = status
        self.reason = reason
        self.headers = headers      # lower-case name -> list of values
        self.raw = raw

    def header(self, name, default=None):
        v = self.headers.get(name.lower())
        return v[-1] if v else default

    def __repr__(self):
        return "Response(%d %s)" % (self.status, self.reason)


class RawClient:
    """A plain TCP client for what websockets would refuse to send."""

    def __init__(self, port, host="127.0.0.1", limit=5.0, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout(limit))
        self.sock.connect((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.limit = limit
        self.buf = bytearray()
        self.eof = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline, n=262144):
        """Read once more into buf; False on EOF.  AssertionError when the
        deadline passes."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("timed out reading from wsgate")
        self.sock.settimeout(left)
        try:
            b = self.sock.recv(n)
        except socket.timeout:
            raise AssertionError("timed out reading from wsgate")
        except ConnectionResetError:
            b = b""
        if not b:
            self.eof = True
            return False
        self.buf += b
        return True

    def read_response(self, limit=None):
        """Read and parse an HTTP response head (the body, if any, stays
        in .buf).  AssertionError if the connection ends first."""
        deadline = self._deadline(limit)
        while b"\r\n\r\n" not in self.buf:
            if not self._fill(deadline):
                raise AssertionError("connection closed before a complete "
                                     "response head: %r" % bytes(self.buf))
        head, _, rest = bytes(self.buf).partition(b"\r\n\r\n")
        self.buf = bytearray(rest)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        assert parts[0].startswith("HTTP/1."), lines[0]
        headers = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            headers.setdefault(k.strip().lower(), []).append(v.strip())
        return Response(int(parts[1]), parts[2] if len(parts) > 2 else "",
                        headers, head)

    def read_body(self, resp, limit=None):
        n = int(resp.header("content-length", "0"))
        deadline = self._deadline(limit)
        while len(self.buf) < n:
            if not self._fill(deadline):
                break
        body, self.buf = bytes(self.buf[:n]), self.buf[n:]
        return body

    def request(self, data, limit=None):
        self.send(data)
        return self.read_response(limit)

    def handshake(self, path="/", expect=101, after=b"", **kw):
        """Send an upgrade request (plus `after` in the same write) and
        check the status and, for 101, the accept key."""
        key = kw.pop("key", None) or new_key()
        resp = self.request(upgrade_request(path, key=key, **kw) + after)
        assert resp.status == expect, "expected %d, got %d %s" % (
            expect, resp.status, resp.reason)
        if expect == 101:
            assert resp.header("sec-websocket-accept") == accept_key(key), \
                resp.raw
        return resp

    def send_frame(self, opcode, payload=b"", **kw):
        self.send(build_frame(opcode, payload, **kw))

    def recv_frame(self, limit=None):
        """The next whole frame from the server (AssertionError on EOF or
        timeout)."""
        return self._frame_by(self._deadline(limit))

    def _deadline(self, limit):
        return time.monotonic() + timeout(limit or self.limit)

    def _frame_by(self, deadline):
        while True:
            f, used = parse_frame(self.buf)
            if f is not None:
                del self.buf[:used]
                return f
            if not self._fill(deadline):
                raise AssertionError("connection closed inside or before "
                                     "a frame (%d bytes pending)" %
                                     len(self.buf))

    def recv_data(self, nbytes, limit=None, consume=None):
        """Data frames' payloads until nbytes arrived; returns
        (bytes, other frames seen).  Stops early at a close frame.
        With consume, payloads go to consume(payload) instead and the
        first value returned is their total length."""
        deadline = self._deadline(limit)
        out = bytearray()
        others = []
        total = 0
        while total < nbytes:
            f, used = parse_frame(self.buf)
            if f is None:
                if not self._fill(deadline):
                    break
                continue
            del self.buf[:used]
            if f.opcode in (OP_BINARY, OP_TEXT, OP_CONT):
                total += len(f.payload)
                if consume is not None:
                    consume(f.payload)
                else:
                    out += f.payload
            else:
                others.append(f)
                if f.opcode == OP_CLOSE:
                    break
        return (total if consume is not None else bytes(out)), others

    def recv_close(self, limit=None):
        """Skip data frames until a close frame; return it."""
        deadline = self._deadline(limit)
        while True:
            f = self._frame_by(deadline)
            if f.opcode == OP_CLOSE:
                return f

    def expect_eof(self, limit=None, close=True):
        """Wait until the server closes the TCP connection; returns the
        bytes that came first.  Then close our side too (as a client
        does), unless close=False: the gateway lingers until it sees
        our EOF, and logs the session's end only then."""
        deadline = self._deadline(limit)
        while self._fill(deadline):
            pass
        if close:
            self.close()
        return bytes(self.buf)


# ---------------------------------------------------------------- unittest

class GatewayTestCase(unittest.TestCase):
    """TestCase helpers: backends and gateways stopped and checked in
    cleanups (gateway first: cleanups run last-in first-out)."""

    def backend(self, cls, *args, **kw):
        b = cls(*args, **kw)
        self.addCleanup(b.stop)
        return b

    def closed_port(self):
        p = ClosedPort()
        self.addCleanup(p.close)
        return p

    def gateway(self, routes=None, gateway=None, text=None, **kw):
        """Start wsgate on config(routes, gateway) or on raw text; stopped
        and checked (exit 0, no sanitizer report) when the test ends."""
        if text is None:
            text = config(routes or {}, gateway)
        gw = Gateway(BINARY, text, **kw)
        self.addCleanup(self._finish_gateway, gw)
        gw.start()
        return gw

    @staticmethod
    def _finish_gateway(gw):
        if gw.proc is None:     # never started: start() raised
            return
        try:
            if gw.returncode is None:
                gw.stop()
            gw.check_exit()
        finally:
            # Buffered by the runner: shown only if the test failed.
            gw._dump()
            shutil.rmtree(gw.dir, ignore_errors=True)

    def raw(self, gw_or_port, **kw):
        port = gw_or_port if isinstance(gw_or_port, int) else gw_or_port.port
        c = RawClient(port, **kw)
        self.addCleanup(c.close)
        return c

    def assertBytesEqual(self, got, want, what="bytes"):
        """Compare long byte strings without printing megabytes."""
        if got == want:
            return
        n = min(len(got), len(want))
        first = next((i for i in range(n) if got[i] != want[i]), n)
        self.fail("%s differ: got %d bytes, want %d; first difference at "
                  "offset %d" % (what, len(got), len(want), first))


def ws_connect(gw, path="/", **kw):
    """websockets.connect with test-friendly defaults: no size limit, no
    compression, bounded open/close waits."""
    import websockets
    opts = dict(max_size=None, compression=None,
                open_timeout=timeout(10), close_timeout=timeout(5))
    opts.update(kw)
    return websockets.connect(gw.url(path), **opts)


async def ws_recv_bytes(ws, n):
    """Receive messages until n bytes arrived (backend bytes may come as
    several binary messages); returns the concatenation."""
    out = bytearray()
    while len(out) < n:
        m = await ws.recv()
        out += m.encode() if isinstance(m, str) else m
    return bytes(out)
