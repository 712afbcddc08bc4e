"""test_workers.py -- several event loop threads: sessions spread over
them, limits hold across them, drain and reload reach every one."""

import asyncio
import os

import harness as h
from harness import ws_connect, ws_recv_bytes


class Workers(h.GatewayTestCase):
    def threads(self, gw):
        return len(os.listdir("/proc/%d/task" % gw.pid))

    def test_workers_n_threads(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"e": {"path": "/e", "backend": echo.addr}},
                          gateway={"workers": "3"})
        gw.wait_log(r"ready \(3 workers", 1)
        # The main thread and three workers.
        self.assertEqual(self.threads(gw), 4)

    def test_auto_is_the_affinity_cpu_count(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"e": {"path": "/e", "backend": echo.addr}},
                          gateway={"workers": "auto"})
        n = len(os.sched_getaffinity(0))
        gw.wait_log(r"ready \(%d worker" % n, 1)

    def test_concurrent_sessions_across_workers(self):
        """Many sessions at once, echoed byte for byte, each logged once;
        more than one worker takes part."""
        # A backlog for every connection at once: a full accept queue
        # would stall some for a second.
        echo = self.backend(h.EchoBackend, backlog=64)
        gw = self.gateway({"e": {"path": "/e", "backend": echo.addr}},
                          gateway={"workers": "2"})
        n = 40
        blobs = [os.urandom(200_000 + i) for i in range(n)]

        async def one(i):
            async with ws_connect(gw, "/e") as ws:
                _, got = await asyncio.gather(
                    ws.send(blobs[i]), ws_recv_bytes(ws, len(blobs[i])))
                self.assertBytesEqual(got, blobs[i], "echo %d" % i)

        async def all_():
            await asyncio.gather(*(one(i) for i in range(n)))

        asyncio.run(asyncio.wait_for(all_(), 60))
        h.wait_until(lambda: len(gw.find_log(r" close client=")) == n, 10,
                     "%d close lines" % n)
        # Both worker threads ran sessions: each used more CPU time than
        # an idle loop would (schedstat: nanoseconds on a CPU).
        busy = 0
        for tid in os.listdir("/proc/%d/task" % gw.pid):
            if int(tid) == gw.pid:
                continue        # the main thread
            with open("/proc/%d/task/%s/schedstat" % (gw.pid, tid)) as f:
                if int(f.read().split()[0]) > 2_000_000:
                    busy += 1
        self.assertEqual(busy, 2)

    def test_max_connections_across_workers(self):
        """The global limit is one budget for every worker: of many
        simultaneous upgrades exactly max_connections get 101."""
        hold = self.backend(h.HoldBackend)
        gw = self.gateway({"hold": {"path": "/hold",
                                    "backend": hold.addr}},
                          gateway={"workers": "2", "max_connections": "5"})
        clients = [self.raw(gw) for _ in range(12)]
        for c in clients:
            c.send(h.upgrade_request("/hold"))
        statuses = [c.read_response().status for c in clients]
        self.assertEqual(statuses.count(101), 5, statuses)
        self.assertEqual(statuses.count(503), 7, statuses)
        hold.release()

    def test_drain_and_reload_reach_every_worker(self):
        echo = self.backend(h.EchoBackend)
        gw = self.gateway({"e": {"path": "/e", "backend": echo.addr}},
                          gateway={"workers": "4", "drain_timeout": "1"})
        gw.write_config(h.config({"e": {"path": "/e", "backend": echo.addr},
                                  "f": {"path": "/f",
                                        "backend": echo.addr}},
                                 {"workers": "4", "drain_timeout": "1"}))
        gw.reload()
        gw.wait_log(r"configuration reloaded", 5)
        # Every worker uses the new route now.
        for _ in range(12):
            c = self.raw(gw)
            c.handshake("/f")
            c.close()
        gw.stop()
        self.assertEqual(gw.returncode, 0)
