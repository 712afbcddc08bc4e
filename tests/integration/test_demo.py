"""test_demo.py -- the shipped demo: etc/wsgate.ini (with its routes.d)
serves web/index.html and echoes through /echo, as `make run` starts it
(only the ports differ here, so the test never clashes with a running
demo); and scripts/demo.sh itself, with its ports moved."""

import asyncio
import os
import re
import signal
import socket
import subprocess

import harness as h
from harness import ws_connect, ws_recv_bytes

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class Demo(h.GatewayTestCase):
    def test_shipped_config_page_and_echo(self):
        echo = self.backend(h.EchoBackend)
        with open(os.path.join(REPO, "etc", "wsgate.ini")) as f:
            text = f.read()
        text = text.replace("listen = 127.0.0.1:8080", "listen = 127.0.0.1:0")
        text = text.replace("backend = 127.0.0.1:7000",
                            "backend = %s" % echo.addr)
        text = re.sub(r"(?m)^routes_dir = routes.d$",
                      "routes_dir = %s" % os.path.join(REPO, "etc",
                                                       "routes.d"), text)
        text = re.sub(r"(?m)^web_root = ../web$",
                      "web_root = %s" % os.path.join(REPO, "web"), text)
        gw = self.gateway(text=text)
        # Both routes of the shipped files are loaded.
        gw.wait_log(r"route echo: /echo -> ", 1)
        gw.wait_log(r"route vnc: /websockify -> 127\.0\.0\.1:5900", 1)

        c = self.raw(gw)
        r = c.request(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        page = c.read_body(r, limit=10)
        self.assertEqual(r.status, 200)
        self.assertIn(b"new WebSocket(url, [\"binary\"])", page)
        self.assertIn(b"/echo", page)

        c = self.raw(gw)
        r = c.request(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        self.assertEqual((r.status, c.read_body(r, limit=10)), (200, b"ok\n"))

        async def go():
            # As the page does: its own origin, subprotocol binary.
            async with ws_connect(gw, "/echo", subprotocols=["binary"],
                                  origin="http://localhost:8080") as ws:
                self.assertEqual(ws.subprotocol, "binary")
                await ws.send(b"hello through wsgate")
                got = await ws_recv_bytes(ws, 20)
                self.assertEqual(got, b"hello through wsgate")
        asyncio.run(asyncio.wait_for(go(), 20))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MakeRun(h.GatewayTestCase):
    """scripts/demo.sh, what `make run PORT=... BACKEND_PORT=...` starts:
    the ports move, the origins follow, and a backend port someone else
    holds stops the demo before wsgate relays to a stranger."""

    def start(self, port, backend_port):
        env = dict(os.environ, PORT=str(port), BACKEND_PORT=str(backend_port),
                   B=os.path.join(REPO, "build"),
                   WSGATE=os.path.abspath(h.BINARY))
        p = subprocess.Popen([os.path.join(REPO, "scripts", "demo.sh")],
                             env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)

        def stop():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)
            p.stdout.close()
        self.addCleanup(stop)
        return p

    def test_other_ports_and_origins(self):
        port, backend_port = free_port(), free_port()
        p = self.start(port, backend_port)
        h.wait_until(lambda: h.run_binary(
            ["--probe", "http://127.0.0.1:%d/healthz" % port, "1"])[0] == 0,
            15, "the demo's health path")

        c = h.RawClient(port)
        r = c.request(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        self.assertEqual(r.status, 200)
        self.assertIn(b"/echo", c.read_body(r, limit=10))
        c.close()

        class G:    # what ws_connect needs of a gateway
            pass
        gw = G()
        gw.port = port
        gw.url = lambda path: "ws://127.0.0.1:%d%s" % (port, path)

        async def go():
            async with ws_connect(gw, "/echo", subprotocols=["binary"],
                                  origin="http://127.0.0.1:%d" % port) as ws:
                await ws.send(b"moved")
                self.assertEqual(await ws_recv_bytes(ws, 5), b"moved")
        asyncio.run(asyncio.wait_for(go(), 20))
        # The old origin is gone, not kept next to the new one.
        c = h.RawClient(port)
        c.handshake("/echo", expect=403, origin="http://127.0.0.1:8080")
        c.close()

        os.killpg(p.pid, signal.SIGTERM)
        out = p.stdout.read().decode()
        self.assertEqual(p.wait(h.timeout(15)), 0, out)
        self.assertIn("http://127.0.0.1:%d/" % port, out)
        self.assertIn("echo backend (127.0.0.1:%d)" % backend_port, out)
        # The backend went with it.
        with socket.socket() as s:
            self.assertNotEqual(s.connect_ex(("127.0.0.1", backend_port)), 0)

    def test_backend_port_taken(self):
        busy = socket.socket()
        self.addCleanup(busy.close)
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = busy.getsockname()[1]
        p = self.start(free_port(), taken)
        self.assertEqual(p.wait(h.timeout(15)), 1)
        out = p.stdout.read().decode()
        self.assertIn("cannot listen on 127.0.0.1:%d: another program has "
                      "that port" % taken, out)
        self.assertIn("make run BACKEND_PORT=%d" % (taken + 1), out)
        self.assertNotIn("listening on", out)    # wsgate never started

    def test_gateway_port_taken(self):
        busy = socket.socket()
        self.addCleanup(busy.close)
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = busy.getsockname()[1]
        p = self.start(taken, free_port())
        self.assertEqual(p.wait(h.timeout(15)), 3)
        out = p.stdout.read().decode()
        self.assertIn("cannot listen", out)
        self.assertIn("make run PORT=%d" % (taken + 1), out)
