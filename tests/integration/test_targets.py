"""test_targets.py -- routes whose backend a token names: websockify token
files (a file, a directory, TokenFileName, UnixDomainSocketDirectory),
the query, cookie and Host sources, live edits, allowed_targets, reloads.

Each backend greets with its own name, so a test sees which one a token
reached; unix-socket backends are real AF_UNIX listeners.
"""

import os
import re
import shutil
import socket
import tempfile
import threading
import time
import unittest

from harness import (GatewayTestCase, SourceBackend, config,
                     run_binary, timeout, upgrade_request, wait_until)


class UnixSource:
    """A unix-socket service that greets each connection with data, then
    reads until EOF (the unix twin of SourceBackend(close_after=False))."""

    def __init__(self, path, data):
        self.path = path
        self.data = data
        self.conns = 0
        self.stopping = threading.Event()
        self.lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.lsock.bind(path)
        self.lsock.listen(8)
        self.lsock.settimeout(0.05)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        deadline = time.monotonic() + timeout(60)
        while not self.stopping.is_set() and time.monotonic() < deadline:
            try:
                c, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            self.conns += 1
            threading.Thread(target=self._serve, args=(c,),
                             daemon=True).start()
        self.lsock.close()

    def _serve(self, c):
        c.settimeout(0.05)
        try:
            c.sendall(self.data)
            while not self.stopping.is_set():
                try:
                    if not c.recv(4096):
                        break
                except socket.timeout:
                    continue
        except OSError:
            pass
        finally:
            c.close()

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout(2))


class TokenRoutes(GatewayTestCase):
    """One gateway with a route per token format and source."""

    def setUp(self):
        self.b1 = self.backend(SourceBackend, b"B1", close_after=False)
        self.b2 = self.backend(SourceBackend, b"B2", close_after=False)
        # Short: sun_path holds 107 bytes.
        self.sdir = tempfile.mkdtemp(prefix="wsg-sock-")
        self.addCleanup(shutil.rmtree, self.sdir, True)
        os.mkdir(os.path.join(self.sdir, "socks"))
        self.u1 = UnixSource(os.path.join(self.sdir, "socks", "desk1"),
                             b"U1")
        self.addCleanup(self.u1.stop)
        self.u2 = UnixSource(os.path.join(self.sdir, "other"), b"U2")
        self.addCleanup(self.u2.stop)
        allow = "127.0.0.1/32:%d 127.0.0.1/32:%d unix:%s localhost:%d" % (
            self.b1.port, self.b2.port, self.sdir, self.b1.port)
        self.files = {
            "tokens.txt": "# websockify TokenFile\n"
                          "vm1: %s\nvm2: %s\n"
                          "desk: unix_socket:%s\n"
                          "far: 192.0.2.1:5900\n"
                          "gone: unix_socket:%s/missing\n"
                          "dead: unix_socket:%s/dead\n"
                          "lh: localhost:%d\n"
                          "127.0.0.1: %s\n" % (self.b1.addr, self.b2.addr,
                                               self.u2.path, self.sdir,
                                               self.sdir, self.b1.port,
                                               self.b2.addr),
            "tokens.d/a": "vm1: %s\n" % self.b1.addr,
            "tokens.d/b.conf": "vm2: %s\n" % self.b2.addr,
            "byname/vm2": "%s\n" % self.b2.addr,
            "byname/desk": "unix_socket:%s\n" % self.u2.path,
        }
        routes = {
            "tok": {"path": "/websockify", "targets": "tokens.txt",
                    "allowed_targets": allow},
            "dir": {"path": "/dir", "targets": "tokens.d",
                    "allowed_targets": allow},
            "fname": {"path": "/fname", "targets": "byname",
                      "targets_format": "filename",
                      "allowed_targets": allow},
            "sock": {"path": "/sock",
                     "targets": os.path.join(self.sdir, "socks"),
                     "targets_format": "unix_socket_dir",
                     "allowed_targets": allow},
            "host": {"path": "/host", "targets": "tokens.txt",
                     "token_source": "host", "allowed_targets": allow},
            "narrow": {"path": "/narrow", "targets": "tokens.txt",
                       "allowed_targets": "127.0.0.1:1"},
        }
        self.routes = routes
        self.gw = self.gateway(routes, extra_files=self.files)

    def reach(self, path, want, **kw):
        """Upgrade on path; the backend's greeting must be want."""
        c = self.raw(self.gw)
        c.handshake(path, **kw)
        data, _ = c.recv_data(len(want))
        self.assertEqual(data, want, path)
        c.close()

    def refused(self, path, status, **kw):
        c = self.raw(self.gw)
        c.handshake(path, expect=status, **kw)
        c.close()

    def test_formats_and_sources(self):
        self.reach("/websockify?token=vm1", b"B1")
        self.reach("/websockify?token=vm2", b"B2")
        self.reach("/websockify?token=desk", b"U2")
        # websockify's parse_qs: %-escapes, first non-empty value.
        self.reach("/websockify?token=&token=v%6D2", b"B2")
        # The cookie, when the query has none (noVNC behind nova).
        self.reach("/websockify", b"B1",
                   headers=[("Cookie", "lang=en; token=vm1")])
        self.reach("/websockify?token=vm2", b"B2",
                   headers=[("Cookie", "token=vm1")])
        # The Host header without its port.
        self.reach("/host", b"B2", host="127.0.0.1:%d" % self.gw.port)
        self.reach("/dir?token=vm1", b"B1")
        self.reach("/dir?token=vm2", b"B2")
        self.reach("/fname?token=vm2", b"B2")
        self.reach("/fname?token=desk", b"U2")
        self.reach("/sock?token=desk1", b"U1")
        self.assertEqual(self.u1.conns, 1)
        self.gw.wait_log(r"close client=.* route=sock", 5)

    def test_refusals(self):
        mark = self.gw.mark()
        self.refused("/websockify?token=nosuch", 404)
        line = self.gw.wait_log(r"reject .*status=404.*route=tok", 5,
                                start=mark).string
        # The token is never logged: a short hash of it is.
        self.assertRegex(line, r'reason="unknown token #[0-9a-f]{12}"')
        self.assertNotIn("nosuch", "\n".join(self.gw.lines))
        self.refused("/websockify", 404)
        self.refused("/host", 404, host="nosuch.example")
        self.refused("/sock?token=..", 404)
        self.refused("/sock?token=nosuch", 404)
        # Outside allowed_targets: 403, no connection.
        mark = self.gw.mark()
        self.refused("/websockify?token=far", 403)
        self.gw.wait_log(r"reject .*status=403.*not in allowed_targets", 5,
                         start=mark)
        self.refused("/narrow?token=vm1", 403)
        # A name no name entry lists: every address it has must be in a
        # range entry, checked once looked up.
        mark = self.gw.mark()
        self.refused("/narrow?token=lh", 403)
        self.gw.wait_log(r'status=403 .*reason="backend localhost:\d+: an '
                         r'address of the name is not in allowed_targets"',
                         5, start=mark)
        self.refused("/narrow?token=desk", 403)
        self.assertEqual(len(self.b1.conns), 0)
        # A unix socket that is not there, or that nobody listens on.
        dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        dead.bind(os.path.join(self.sdir, "dead"))
        dead.close()
        mark = self.gw.mark()
        self.refused("/websockify?token=gone", 502)
        self.gw.wait_log(r'status=502 .*reason="backend unix:.*/missing: ',
                         5, start=mark)
        self.refused("/websockify?token=dead", 502)
        self.reach("/websockify?token=desk", b"U2")
        self.reach("/websockify?token=lh", b"B1")       # a name entry

    def write(self, rel, text):
        """Replace a token file the way deploy tools do: rename over."""
        path = os.path.join(self.gw.dir, rel)
        with open(path + ".new", "w") as f:
            f.write(text)
        os.replace(path + ".new", path)

    def status(self, path):
        c = self.raw(self.gw)
        c.send(upgrade_request(path))
        st = c.read_response().status
        c.close()
        return st

    def test_live_edits(self):
        """New sessions see an edit within ~2 s, without SIGHUP: a token
        added, changed and deleted in a file; a file added to and one
        removed from a directory; a socket appearing."""
        mark = self.gw.mark()
        self.write("tokens.txt", "vm3: %s\nvm1: %s\n" % (self.b1.addr,
                                                        self.b2.addr))
        os.unlink(os.path.join(self.gw.dir, "tokens.d", "a"))
        with open(os.path.join(self.gw.dir, "tokens.d", "c"), "w") as f:
            f.write("vm9: %s\n" % self.b1.addr)
        u3 = UnixSource(os.path.join(self.sdir, "socks", "desk3"), b"U3")
        self.addCleanup(u3.stop)
        t0 = time.monotonic()
        wait_until(lambda: self.status("/websockify?token=vm3") == 101,
                   4, "the added token")
        # Checked about once a second, used once it stayed the same for
        # one check: 1-2 s.
        self.assertLess(time.monotonic() - t0, timeout(3.5))
        self.gw.wait_log(r"targets .*tokens.txt: 2 tokens", 5, start=mark)
        self.reach("/websockify?token=vm1", b"B2")      # changed
        self.refused("/websockify?token=vm2", 404)      # deleted
        wait_until(lambda: self.status("/dir?token=vm9") == 101, 3,
                   "the new file's token")
        self.refused("/dir?token=vm1", 404)
        wait_until(lambda: self.status("/sock?token=desk3") == 101, 3,
                   "the new socket")
        self.reach("/sock?token=desk3", b"U3")

    def test_half_written(self):
        """A file caught half-written keeps the last good index."""
        mark = self.gw.mark()
        with open(os.path.join(self.gw.dir, "tokens.txt"), "a") as f:
            f.write("vm4: 127.0.0.1:")     # no port yet, no newline
        line = self.gw.wait_log(r"warn targets .*tokens\.txt:10: .*keeping "
                                r"the last good index \(8 tokens\)", 5,
                                start=mark).string
        self.assertNotIn("vm4", line)
        self.reach("/websockify?token=vm1", b"B1")
        self.refused("/websockify?token=vm4", 404)
        with open(os.path.join(self.gw.dir, "tokens.txt"), "a") as f:
            f.write("%d\n" % self.b2.port)
        wait_until(lambda: self.status("/websockify?token=vm4") == 101, 4,
                   "the completed line")

    def test_reloads(self):
        """A SIGHUP with the same files keeps every route working; a
        route removed by one is gone, and so is its source's watcher (no
        thread or descriptor left behind)."""
        pid = self.gw.pid
        tasks = len(os.listdir("/proc/%d/task" % pid))
        fds = self.gw.fd_count()
        for _ in range(3):
            self.assertIn("reloaded", self.gw.reload().group(0))
            self.reach("/websockify?token=vm1", b"B1")
            self.reach("/sock?token=desk1", b"U1")
        routes = dict(self.routes)
        del routes["dir"]
        self.assertIn("reloaded", self.gw.reload(config(routes)).group(0))
        self.refused("/dir?token=vm1", 404)
        self.assertEqual(len(os.listdir("/proc/%d/task" % pid)), tasks)
        wait_until(lambda: self.gw.fd_count() <= fds, 3, "descriptors")
        # The removed route's directory is watched no more: a broken
        # file there is not even noticed.
        mark = self.gw.mark()
        with open(os.path.join(self.gw.dir, "tokens.d", "bad"), "w") as f:
            f.write("broken\n")
        with open(os.path.join(self.gw.dir, "tokens.txt"), "a") as f:
            f.write("broken\n")
        self.gw.wait_log(r"tokens\.txt:\d+: .*keeping the last good", 5,
                         start=mark)
        self.assertEqual(self.gw.find_log(r"tokens\.d", start=mark), [])
        # A reload while a running source's file is broken: the reload
        # goes through, the last good tokens stay.
        self.assertIn("reloaded", self.gw.reload().group(0))
        self.reach("/websockify?token=vm1", b"B1")


class FirstTokenRoute(GatewayTestCase):
    def test_reload_adds_one(self):
        """The first targets route may come with a reload: its file is
        watched from then on (no thread before: test_workers counts)."""
        b1 = self.backend(SourceBackend, b"B1", close_after=False)
        gw = self.gateway({"e": {"path": "/e", "backend": b1.addr}})
        tasks = len(os.listdir("/proc/%d/task" % gw.pid))
        gw.write_file("tokens.txt", "vm1: %s\n" % b1.addr)
        routes = {"e": {"path": "/e", "backend": b1.addr},
                  "t": {"path": "/t", "targets": "tokens.txt",
                        "allowed_targets": b1.addr}}
        self.assertIn("reloaded", gw.reload(config(routes)).group(0))
        self.assertEqual(len(os.listdir("/proc/%d/task" % gw.pid)),
                         tasks + 1)
        path = os.path.join(gw.dir, "tokens.txt")
        with open(path + ".new", "w") as f:
            f.write("vm2: %s\n" % b1.addr)
        os.replace(path + ".new", path)

        def status():
            c = self.raw(gw)
            c.send(upgrade_request("/t?token=vm2"))
            st = c.read_response().status
            c.close()
            return st
        wait_until(lambda: status() == 101, 4, "the edited token")


class TokenConfig(unittest.TestCase):
    """What -t says about token routes."""

    def check(self, routes, files, want):
        d = tempfile.mkdtemp(prefix="wsgate-t-")
        self.addCleanup(shutil.rmtree, d, True)
        for rel, text in files.items():
            with open(os.path.join(d, rel), "w") as f:
                f.write(text)
        path = os.path.join(d, "wsgate.ini")
        with open(path, "w") as f:
            f.write(config(routes))
        rc, out, err = run_binary(["-t", "-c", path])
        self.assertEqual(rc, 1 if want else 0, err)
        for w in want:
            self.assertRegex(err, w)
        return err

    def test_errors(self):
        self.check({"t": {"path": "/t", "targets": "tokens"}},
                   {"tokens": "a: 127.0.0.1:1\n"},
                   [r"wsgate.ini:\d+: \[route:t\] allowed_targets: missing; "
                    r".*e\.g\. allowed_targets = "])
        self.check({"t": {"path": "/t", "targets": "tokens",
                          "allowed_targets": "127.0.0.1:1"}},
                   {"tokens": "a: 127.0.0.1:1\nb 127.0.0.1:2\n"},
                   [r"\[route:t\] targets: .*/tokens:2: "])
        self.check({"t": {"path": "/t", "targets": "nope",
                          "allowed_targets": "127.0.0.1:1"}}, {},
                   [r"\[route:t\] targets: .*/nope: No such file"])
        self.check({"t": {"path": "/t", "targets": "tokens",
                          "backend": "127.0.0.1:1",
                          "allowed_targets": "127.0.0.1:1"}},
                   {"tokens": "a: 127.0.0.1:1\n"},
                   [r"\[route:t\] backend: a route with targets has no "
                    r"backend"])

    def test_example(self):
        """etc/novnc-tokens.ini passes -t (web_root left out: noVNC's
        package need not be installed here)."""
        d = tempfile.mkdtemp(prefix="wsgate-t-")
        self.addCleanup(shutil.rmtree, d, True)
        etc = os.path.join(os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.abspath(__file__)))), "etc")
        for f in ("novnc-tokens.txt", "novnc-tokens.pem"):
            shutil.copy(os.path.join(etc, f), d)
        with open(os.path.join(etc, "novnc-tokens.ini")) as f:
            text = re.sub(r"(?m)^web_root = .*$", "", f.read())
        with open(os.path.join(d, "novnc-tokens.ini"), "w") as f:
            f.write(text)
        rc, out, err = run_binary(["-t", "-c", os.path.join(
            d, "novnc-tokens.ini")])
        self.assertEqual(rc, 0, err)
        self.assertIn("configuration OK (1 listener, 2 routes)", out)

    def test_ok(self):
        self.check({"t": {"path": "/t", "targets": "tokens",
                          "allowed_targets": "127.0.0.1:1"}},
                   {"tokens": "a: 127.0.0.1:1\n"}, [])


if __name__ == "__main__":
    unittest.main()
