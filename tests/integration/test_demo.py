"""test_demo.py -- the shipped demo: etc/wsgate.ini (with its routes.d)
serves web/index.html and echoes through /echo, as `make run` starts it
(only the ports differ here, so the test never clashes with a running
demo)."""

import asyncio
import os
import re

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
