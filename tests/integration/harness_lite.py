"""harness_lite.py -- the few pieces of the shared integration harness
(harness.py, on branch integ) that test_tls.py needs, with the same names,
until that harness is merged.  Then test_tls.py imports harness instead
and this file goes away.
"""

import asyncio
import os
import re
import shutil
import signal as _signal
import socket
import subprocess
import tempfile
import threading
import time

BINARY = os.environ.get("WSGATE_BINARY", "build/wsgate")
SCALE = float(os.environ.get("WSGATE_TEST_SCALE", "1"))

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:",
                   "LeakSanitizer", "ERROR: UndefinedBehaviorSanitizer")


def timeout(seconds):
    return seconds * SCALE


def wait_until(pred, limit=5.0, what="condition", interval=0.01):
    deadline = time.monotonic() + timeout(limit)
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s" % what)
        time.sleep(interval)


def run_async(coro, limit=30.0):
    async def bounded():
        return await asyncio.wait_for(coro, timeout(limit))
    return asyncio.run(bounded())


GATEWAY_DEFAULTS = {
    "listen": "127.0.0.1:0",
    "drain_timeout": "1",
    "close_timeout": "2",
    "handshake_timeout": "5",
}


def _keys(d):
    lines = []
    for k, v in d.items():
        if v is None:
            continue
        for one in (v if isinstance(v, (list, tuple)) else [v]):
            lines.append("%s = %s" % (k, one))
    return lines


def config(routes, gateway=None, defaults=True):
    gw = dict(GATEWAY_DEFAULTS) if defaults else {}
    gw.update(gateway or {})
    out = ["[gateway]"] + _keys(gw)
    for name, keys in routes.items():
        r = {"origins": "*", "allow_missing_origin": "yes"}
        r.update(keys)
        out += ["", "[route:%s]" % name] + _keys(r)
    return "\n".join(out) + "\n"


class Gateway:
    READY = re.compile(r" ready \(")
    LISTENING = re.compile(r"listening on (.*)$")

    def __init__(self, binary=None, config_text="", extra_files=None,
                 args=(), env=None, wait_ready=True):
        self.binary = binary or BINARY
        self.dir = tempfile.mkdtemp(prefix="wsgate-it-")
        self.config_path = os.path.join(self.dir, "wsgate.ini")
        self.write_config(config_text)
        for rel, text in (extra_files or {}).items():
            self.write_file(rel, text)
        self.args = list(args)
        self.env = env
        self.wait_ready = wait_ready
        self.lines = []
        self.proc = None
        self.ports = []
        self.returncode = None
        self._cond = threading.Condition()
        self._reader = None

    def write_file(self, rel, text):
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def write_config(self, text):
        tmp = self.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.config_path)

    def start(self):
        cmd = [self.binary, "-c", self.config_path, "-v"] + self.args
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=self.env,
                                     cwd=self.dir)
        self._reader = threading.Thread(target=self._read_stderr,
                                        daemon=True)
        self._reader.start()
        if self.wait_ready:
            try:
                self.wait_log(self.READY, 10, what="the ready line")
            except AssertionError:
                self._kill()
                self._dump()
                raise
            for line in self.lines:
                m = self.LISTENING.search(line)
                if m:
                    for addr in m.group(1).split():
                        self.ports.append(int(addr.rsplit(":", 1)[1]))
        return self

    def _read_stderr(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._cond:
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

    def signal(self, sig):
        self.proc.send_signal(sig)

    def reload(self, config_text=None):
        if config_text is not None:
            self.write_config(config_text)
        mark = self.mark()
        self.signal(_signal.SIGHUP)
        return self.wait_log(r"configuration reloaded|reload failed",
                             10, start=mark)

    def stop(self, sig=_signal.SIGTERM, limit=15):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.returncode = self.proc.wait(timeout(limit))
        except subprocess.TimeoutExpired:
            self._kill()
            raise AssertionError("wsgate did not exit within %.0fs" %
                                 timeout(limit))
        finally:
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
        try:
            if self.returncode is None:
                self.stop()
        except AssertionError:
            self._dump()
            if etype is None:
                raise
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
        if etype is not None:
            self._dump()
            return False
        try:
            self.check_exit()
        except AssertionError:
            self._dump()
            raise
        return False

    def check_exit(self):
        for i, line in enumerate(self.lines):
            if any(m in line for m in SANITIZER_MARKS):
                raise AssertionError("sanitizer report from wsgate:\n" +
                                     "\n".join(self.lines[i:i + 40]))
        if self.returncode != 0:
            raise AssertionError("wsgate exited %s" % self.returncode)

    def _dump(self):
        print("---- wsgate log (%s, exit %s)" % (self.binary,
                                                  self.returncode))
        for line in self.lines[-200:]:
            print(line)
        print("---- end of wsgate log")

    def wait_log(self, regex, limit=5.0, start=0, what=None):
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
                        "no log line matching %r (%s) within %.1fs" % (
                            rx.pattern, what or "", timeout(limit)))
                self._cond.wait(min(left, 0.2))

    def find_log(self, regex, start=0):
        rx = re.compile(regex)
        with self._cond:
            lines = list(self.lines[start:])
        return [m for m in (rx.search(ln) for ln in lines) if m]

    def mark(self):
        with self._cond:
            return len(self.lines)

    def rss_kb(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def fd_count(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))


def run_binary(args, limit=10, binary=None, cwd=None):
    p = subprocess.run([binary or BINARY] + list(args), cwd=cwd,
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout(limit))
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


class EchoBackend:
    """Echoes every byte (plain TCP), one thread per connection."""

    def __init__(self, lifetime=120):
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.lsock.settimeout(0.2)
        self.port = self.lsock.getsockname()[1]
        self.addr = "127.0.0.1:%d" % self.port
        self.deadline = time.monotonic() + timeout(lifetime)
        self.stopping = threading.Event()
        self.threads = []
        t = threading.Thread(target=self._accept_loop, daemon=True)
        t.start()
        self.threads.append(t)

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
                sock, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            t = threading.Thread(target=self._serve, args=(sock,),
                                 daemon=True)
            t.start()
            self.threads.append(t)
        self.lsock.close()

    def _serve(self, sock):
        sock.settimeout(0.2)
        try:
            while not self.expired():
                try:
                    b = sock.recv(65536)
                except socket.timeout:
                    continue
                if not b:
                    break
                sock.settimeout(30)
                sock.sendall(b)
                sock.settimeout(0.2)
        except OSError:
            pass
        finally:
            sock.close()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(5)
