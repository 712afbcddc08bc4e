"""test_many_clients.py -- the per-client tables are bounded (issue 13):
thousands of distinct client addresses, by PROXY v2 headers on a
`proxy_protocol` listener with new_connections_per_client and
max_connections_per_client set, leave wsgate's RSS flat, and a repeat
client is still held by both limits.  `make bench` runs the same driver
(tools/bench/manyclients.py) with 100,000 addresses.
"""

import os
import socket
import sys

import harness as h

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(
    __file__)), "..", "..", "tools", "bench"))
import manyclients as mc  # noqa: E402

# Fewer under the sanitizers and valgrind: slower, and bigger noise.
N = 1000 if h.SANITIZER or h.WRAPPER else 4000


class ManyClients(h.GatewayTestCase):
    def test_distinct_addresses_rss_flat_hot_client_limited(self):
        dead = socket.socket()
        dead.bind(("127.0.0.1", 0))
        self.addCleanup(dead.close)
        gw = self.gateway(
            {"echo": {"path": "/echo", "backend": "127.0.0.1:%d" %
                      dead.getsockname()[1]}},
            dict(mc.GATEWAY, listen="127.0.0.1:0 proxy_protocol",
                 log_level="warn"))
        warm = mc.drive(gw.port, 0, 1000)
        self.assertTrue(mc.settled(warm, 1000), warm)
        before = mc.rss_kib(gw.pid)
        counts = mc.drive(gw.port, 1000, N)
        after = mc.rss_kib(gw.pid)
        self.assertTrue(mc.settled(counts, N), counts)
        # 512 bytes a client would show; the sanitizers' quarantine and
        # valgrind's own heap make RSS meaningless there.
        if not (h.SANITIZER or h.WRAPPER):
            self.assertLessEqual(after - before, 2048,
                                 "RSS %d -> %d KiB" % (before, after))
        self.assertEqual(mc.hot_client_limited(gw.port), mc.HOT_WANT)
