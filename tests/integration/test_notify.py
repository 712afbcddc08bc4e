"""test_notify.py -- the systemd notify protocol (sd_notify(3)) on a fake
NOTIFY_SOCKET: READY=1 once listening, RELOADING=1 with MONOTONIC_USEC and
then READY=1 on SIGHUP (whether the reload is taken or refused),
STOPPING=1 on SIGTERM; a path or an abstract "@name"; a socket that is not
there costs a warning, nothing else."""

import os
import signal
import socket
import tempfile
import shutil
import time

import harness as h


class FakeManager:
    """A unix datagram socket standing in for systemd's notify socket."""

    def __init__(self, abstract=False):
        self.dir = tempfile.mkdtemp(prefix="wsgate-notify-")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = "wsgate-test-%d-%s" % (os.getpid(), os.urandom(4).hex())
            self.sock.bind("\0" + name)
            self.env_value = "@" + name
        else:
            path = os.path.join(self.dir, "notify")
            self.sock.bind(path)
            self.env_value = path

    def env(self):
        return dict(os.environ, NOTIFY_SOCKET=self.env_value)

    def recv(self, limit=5.0):
        """The next datagram, as a dict of its KEY=VALUE lines."""
        self.sock.settimeout(h.timeout(limit))
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            raise AssertionError("no notify message within %.1fs" %
                                 h.timeout(limit))
        return dict(line.split("=", 1)
                    for line in data.decode().split("\n") if line)

    def assert_quiet(self, seconds=0.3):
        self.sock.settimeout(seconds)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return
        raise AssertionError("unexpected notify message %r" % data)

    def close(self):
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def now_usec():
    # time.monotonic() is CLOCK_MONOTONIC on Linux, the clock systemd
    # compares MONOTONIC_USEC with.
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


class Notify(h.GatewayTestCase):
    def manager(self, **kw):
        m = FakeManager(**kw)
        self.addCleanup(m.close)
        return m

    def routes(self, echo, extra=False):
        r = {"echo": {"path": "/echo", "backend": echo.addr}}
        if extra:
            r["more"] = {"path": "/more", "backend": echo.addr}
        return r

    def test_ready_reload_stop(self):
        echo = self.backend(h.EchoBackend)
        m = self.manager()
        gw = self.gateway(self.routes(echo), env=m.env())

        self.assertEqual(m.recv(), {"READY": "1"})
        # READY=1 means it accepts: a connection made now is served.
        c = self.raw(gw)
        c.handshake("/echo")
        c.send_frame(h.OP_BINARY, b"ready")
        self.assertEqual(c.recv_data(5)[0], b"ready")
        c.close()

        # A reload that is taken: RELOADING=1 with the time it began,
        # READY=1 once every worker uses the new routes.
        gw.write_config(h.config(self.routes(echo, extra=True)))
        before = now_usec()
        mark = gw.mark()
        gw.send_signal(signal.SIGHUP)
        msg = m.recv()
        after = now_usec()
        self.assertEqual(set(msg), {"RELOADING", "MONOTONIC_USEC"}, msg)
        self.assertEqual(msg["RELOADING"], "1")
        self.assertTrue(before <= int(msg["MONOTONIC_USEC"]) <= after,
                        (before, msg["MONOTONIC_USEC"], after))
        self.assertEqual(m.recv(), {"READY": "1"})
        gw.wait_log(r"configuration reloaded: 2 routes", 1, start=mark)
        c = self.raw(gw)
        c.handshake("/more")
        c.close()

        # A reload that is refused: the manager still hears READY=1 (the
        # running configuration goes on).
        gw.write_config("[gateway]\nlisten = 127.0.0.1:0\nbogus = 1\n")
        mark = gw.mark()
        gw.send_signal(signal.SIGHUP)
        self.assertIn("RELOADING", m.recv())
        self.assertEqual(m.recv(), {"READY": "1"})
        gw.wait_log(r"reload failed", 1, start=mark)
        m.assert_quiet()

        gw.send_signal(signal.SIGTERM)
        self.assertEqual(m.recv(), {"STOPPING": "1"})
        self.assertEqual(gw.wait_exit(), 0)
        m.assert_quiet(0.1)

    def test_abstract_socket(self):
        echo = self.backend(h.EchoBackend)
        m = self.manager(abstract=True)
        gw = self.gateway(self.routes(echo), env=m.env())
        self.assertEqual(m.recv(), {"READY": "1"})
        # SIGINT stops too (no drain wait): STOPPING=1 as well.
        gw.send_signal(signal.SIGINT)
        self.assertEqual(m.recv(), {"STOPPING": "1"})
        self.assertEqual(gw.wait_exit(), 0)

    def test_missing_or_bad_socket_is_a_warning(self):
        echo = self.backend(h.EchoBackend)
        for value, why in (("/nonexistent/wsgate-notify",
                            r"NOTIFY_SOCKET: cannot send: No such file"),
                           ("relative/sock", r"NOTIFY_SOCKET: not a unix "
                            r"socket path or @name"),
                           ("@" + "x" * 200, r"NOTIFY_SOCKET: not a unix "
                            r"socket path or @name")):
            with self.subTest(NOTIFY_SOCKET=value[:20]):
                gw = self.gateway(self.routes(echo),
                                  env=dict(os.environ, NOTIFY_SOCKET=value))
                gw.wait_log(r"warn " + why, 2)
                c = self.raw(gw)
                c.handshake("/echo")
                c.close()
                self.assertEqual(gw.stop(), 0)
