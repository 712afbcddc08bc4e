"""test_clock.py -- durations are measured on the monotonic clock: a step
of the wall clock, backwards or forwards, changes neither when idle_timeout
ends a session nor the duration its close line reports.

The step is injected, not made on the machine's clock: clockshift.c, an
LD_PRELOAD shim built here, adds an offset that the test rewrites at any
moment to every wall-clock reading of the gateway (gettimeofday,
clock_gettime(CLOCK_REALTIME), time).  libevent resynchronises its cached
wall time at most every 5 to 6 s, so IDLE is longer than that: a gateway
that measured on the wall clock would see the step within the idle time."""

import os
import shutil
import struct
import subprocess
import tempfile
import time
import unittest

import harness as h
from harness import OP_BINARY, OP_CLOSE

HERE = os.path.dirname(os.path.abspath(__file__))
IDLE = 7.0
HOUR = 3600


class WallClockSteps(h.GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="wsgate-clock-")
        cls.shim = os.path.join(cls.tmp, "clockshift.so")
        cc = os.environ.get("CC", "cc")
        r = subprocess.run([cc, "-std=c11", "-O1", "-Wall", "-Wextra",
                            "-Werror", "-shared", "-fPIC", "-o", cls.shim,
                            os.path.join(HERE, "clockshift.c"), "-ldl"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError("cannot build clockshift.so:\n" + r.stderr)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def stepped_gateway(self, name, routes):
        """A gateway whose wall clock the returned function steps."""
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(struct.pack("<q", 0))
        env = dict(os.environ, LD_PRELOAD=self.shim, CLOCKSHIFT_FILE=path)
        # ASan wants its runtime first in the library list; the shim only
        # wraps three libc calls.
        env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") +
                               ":verify_asan_link_order=0").lstrip(":")
        gw = self.gateway(routes, env=env)

        def step(seconds):
            with open(path, "r+b") as f:
                f.write(struct.pack("<q", seconds))
        return gw, step

    def test_idle_timeout_and_duration_ignore_wall_clock_steps(self):
        """Two gateways, one session each, idle after one echo; then one
        wall clock goes back an hour, the other forward an hour.  Each
        session ends after idle_timeout of real time (backwards, the wall
        clock would have stretched it by the hour; forwards, the close
        line would have said 3607 s)."""
        echo = self.backend(h.EchoBackend)
        routes = {"e": {"path": "/e", "backend": echo.addr,
                        "idle_timeout": "%g" % IDLE}}
        runs = []
        for name, seconds in (("back", -HOUR), ("forward", HOUR)):
            gw, step = self.stepped_gateway(name, routes)
            c = self.raw(gw)
            c.handshake("/e")
            c.send_frame(OP_BINARY, b"ping")
            self.assertEqual(c.recv_data(4)[0], b"ping")
            runs.append((name, seconds, gw, step, c, time.monotonic()))
        for _, seconds, _, step, _, _ in runs:
            step(seconds)
        for name, seconds, gw, _, c, quiet_since in runs:
            try:
                f = c.recv_close(limit=IDLE + 4)
            except AssertionError:
                self.fail("%s: no close within %.0f s of silence, with "
                          "idle_timeout = %g and the wall clock stepped "
                          "%+d s" % (name, h.timeout(IDLE + 4), IDLE,
                                     seconds))
            waited = time.monotonic() - quiet_since
            self.assertEqual(f.close_code, 1001)
            self.assertGreater(waited, IDLE - 0.5, "%s: closed after "
                               "%.2f s of silence" % (name, waited))
            c.send_frame(OP_CLOSE, h.close_payload(1001))
            c.expect_eof()
            m = gw.wait_log(r"close client=.* duration=([0-9.-]+)s "
                            r"code=1001 by=gateway reason=\"idle timeout\"")
            duration = float(m.group(1))
            self.assertGreater(duration, IDLE - 0.5, "%s: %s" % (
                name, m.group(0)))
            self.assertLess(duration, IDLE + h.timeout(3), "%s: %s" % (
                name, m.group(0)))

if __name__ == "__main__":
    unittest.main()
