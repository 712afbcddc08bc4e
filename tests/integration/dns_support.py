"""dns_support.py -- a scriptable DNS server on UDP 127.0.0.1:0 for
test_dns.py.

    dns = FakeDNS()
    dns.answer("live.test", ["127.0.0.1"], ttl=60)   # A records
    dns.answer("v6.test", [], ["::1"])               # AAAA only
    dns.silent("dead.test")                          # never answers
    dns.answer("slow.test", ["127.0.0.1"], delay=0.3)
    dns.answer("v4.test", ["127.0.0.1"], delay_aaaa=5)  # AAAA late
    dns.addr                                         # "127.0.0.1:PORT"
    dns.queries("live.test")                         # A + AAAA queries seen
    dns.stop()

Names not listed get NXDOMAIN.  Every query is counted by (name, type),
names in lower case.  The question is echoed as received (evdns varies
the case of its letters, the 0x20 hack, and checks the echo).
"""

import socket
import struct
import threading
import time

TYPE_A, TYPE_AAAA = 1, 28
RCODE_NXDOMAIN = 3


def _parse_question(msg):
    """(name, qtype, end offset of the question) or None."""
    if len(msg) < 12:
        return None
    i, labels = 12, []
    while i < len(msg) and len(labels) < 128:
        n = msg[i]
        i += 1
        if n == 0:
            break
        if n & 0xC0 or i + n > len(msg):
            return None
        labels.append(msg[i:i + n].decode("ascii", "replace"))
        i += n
    if i + 4 > len(msg):
        return None
    qtype = struct.unpack("!H", msg[i:i + 2])[0]
    return ".".join(labels).lower(), qtype, i + 4


class FakeDNS:
    def __init__(self, lifetime=120):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.addr = "127.0.0.1:%d" % self.port
        self.records = {}       # name -> (v4, v6, ttl, delay, AAAA delay)
        self.silent_names = set()
        self.counts = {}        # (name, qtype) -> n
        self.lock = threading.Lock()
        self.deadline = time.monotonic() + lifetime
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def answer(self, name, v4=(), v6=(), ttl=300, delay=0.0,
               delay_aaaa=None):
        with self.lock:
            self.records[name.lower()] = (
                list(v4), list(v6), ttl, delay,
                delay if delay_aaaa is None else delay_aaaa)
            self.silent_names.discard(name.lower())

    def silent(self, name):
        with self.lock:
            self.silent_names.add(name.lower())

    def queries(self, name, qtype=None):
        """Queries seen for name: of one type, or A + AAAA."""
        with self.lock:
            if qtype is not None:
                return self.counts.get((name.lower(), qtype), 0)
            return sum(n for (nm, _), n in self.counts.items()
                       if nm == name.lower())

    def total(self):
        with self.lock:
            return sum(self.counts.values())

    def stop(self):
        self.stopping = True
        self.thread.join(5)
        self.sock.close()

    def _run(self):
        while not self.stopping and time.monotonic() < self.deadline:
            self.sock.settimeout(0.1)
            try:
                msg, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self._handle(msg, peer)

    def _handle(self, msg, peer):
        q = _parse_question(msg)
        if q is None:
            return
        name, qtype, qend = q
        with self.lock:
            self.counts[(name, qtype)] = self.counts.get((name, qtype),
                                                         0) + 1
            if name in self.silent_names:
                return
            rec = self.records.get(name)
        (tid,) = struct.unpack("!H", msg[:2])
        question = msg[12:qend]
        answers = []
        rcode = 0
        if rec is None:
            rcode = RCODE_NXDOMAIN
        else:
            v4, v6, ttl, _, _ = rec
            if qtype == TYPE_A:
                answers = [(TYPE_A, socket.inet_pton(socket.AF_INET, a), ttl)
                           for a in v4]
            elif qtype == TYPE_AAAA:
                answers = [(TYPE_AAAA, socket.inet_pton(socket.AF_INET6, a),
                            ttl) for a in v6]
        # QR, RD, RA set; the rcode in the low bits.
        flags = 0x8180 | rcode
        out = struct.pack("!HHHHHH", tid, flags, 1, len(answers), 0, 0)
        out += question
        for rtype, rdata, ttl in answers:
            # The name as a pointer to the question's (offset 12).
            out += struct.pack("!HHHIH", 0xC00C, rtype, 1, ttl, len(rdata))
            out += rdata
        delay = 0.0
        if rec is not None:
            delay = rec[4] if qtype == TYPE_AAAA else rec[3]
        if delay > 0:
            t = threading.Timer(delay, self._send, (out, peer))
            t.daemon = True
            t.start()
        else:
            self._send(out, peer)

    def _send(self, out, peer):
        try:
            self.sock.sendto(out, peer)
        except OSError:
            pass
