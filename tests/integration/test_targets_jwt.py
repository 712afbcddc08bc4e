"""test_targets_jwt.py -- routes whose backend a signed token (JWT) names:
HS256, RS256 and ES256 tokens made at test time (python's hmac, the
openssl command), the algorithm pinned, exp/nbf/aud/iss/origin, unix
socket claims, allowed_targets.
"""

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import GatewayTestCase, SourceBackend, config, run_binary
from test_targets import UnixSource


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def openssl(*args, data=None):
    return subprocess.run(["openssl"] + list(args), input=data,
                          capture_output=True, check=True,
                          timeout=30).stdout


def der_to_raw(sig):
    """An ECDSA-Sig-Value (DER) as JWS wants it: R || S, 32 bytes each."""
    assert sig[0] == 0x30
    i = 2 if sig[1] < 0x80 else 3
    out = b""
    for _ in range(2):
        assert sig[i] == 0x02
        n = sig[i + 1]
        v = sig[i + 2:i + 2 + n]
        out += v.lstrip(b"\0").rjust(32, b"\0")
        i += 2 + n
    return out


class Keys:
    """The test keys, made once for the file."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="wsgate-jwt-")
        self.secret = os.urandom(32)
        self.path = {}
        for name, args in (("rsa", ["-algorithm", "RSA", "-pkeyopt",
                                    "rsa_keygen_bits:2048"]),
                           ("ec", ["-algorithm", "EC", "-pkeyopt",
                                   "ec_paramgen_curve:P-256"]),
                           ("ec2", ["-algorithm", "EC", "-pkeyopt",
                                    "ec_paramgen_curve:P-256"])):
            key = os.path.join(self.dir, name + ".key")
            openssl("genpkey", *args, "-out", key)
            openssl("pkey", "-in", key, "-pubout", "-out", key + ".pub")
            self.path[name] = key
        # websockify's HS256 key file: the secret in base64url.
        self.path["hs"] = os.path.join(self.dir, "hs.secret")
        fd = os.open(self.path["hs"], os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, (b64url(self.secret) + "\n").encode())
        os.close(fd)

    def sign(self, alg, claims, key=None, header=None):
        h = header or {"alg": alg, "typ": "JWT"}
        signing = "%s.%s" % (b64url(json.dumps(h).encode()),
                             b64url(json.dumps(claims).encode()))
        data = signing.encode()
        if alg == "none":
            sig = b""
        elif alg == "HS256":
            sig = hmac.new(key or self.secret, data, hashlib.sha256).digest()
        elif alg == "RS256":
            sig = openssl("dgst", "-sha256", "-sign", key or
                          self.path["rsa"], data=data)
        else:
            sig = der_to_raw(openssl("dgst", "-sha256", "-sign", key or
                                     self.path["ec"], data=data))
        return signing + "." + b64url(sig)

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class SignedTokens(GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.keys = Keys()

    @classmethod
    def tearDownClass(cls):
        cls.keys.close()

    def setUp(self):
        self.b1 = self.backend(SourceBackend, b"B1", close_after=False)
        self.b2 = self.backend(SourceBackend, b"B2", close_after=False)
        self.sdir = tempfile.mkdtemp(prefix="wsg-jwt-")
        self.addCleanup(shutil.rmtree, self.sdir, True)
        self.u1 = UnixSource(os.path.join(self.sdir, "desk"), b"U1")
        self.addCleanup(self.u1.stop)
        allow = "127.0.0.1:%d unix:%s" % (self.b1.port, self.sdir)
        k = self.keys.path
        self.gw = self.gateway({
            "hs": {"path": "/hs", "jwt_key": k["hs"],
                   "jwt_algorithm": "HS256", "allowed_targets": allow},
            "rs": {"path": "/rs", "jwt_key": k["rsa"] + ".pub",
                   "jwt_algorithm": "RS256", "allowed_targets": allow},
            "es": {"path": "/es", "jwt_key": k["ec"] + ".pub",
                   "jwt_algorithm": "ES256", "allowed_targets": allow,
                   "jwt_audience": "wsgate",
                   "jwt_issuer": "https://app.example",
                   "jwt_leeway": "1m"},
        })

    def claims(self, **kw):
        c = {"host": "127.0.0.1", "port": self.b1.port}
        c.update(kw)
        return {k: v for k, v in c.items() if v is not None}

    def reach(self, path, token, want=b"B1", **kw):
        c = self.raw(self.gw)
        c.handshake("%s?token=%s" % (path, token), **kw)
        data, _ = c.recv_data(len(want))
        self.assertEqual(data, want)
        c.close()

    def refused(self, path, token, why, status=403, **kw):
        mark = self.gw.mark()
        c = self.raw(self.gw)
        c.handshake("%s?token=%s" % (path, token), expect=status, **kw)
        c.close()
        line = self.gw.wait_log(r"reject .*status=%d" % status, 5,
                                start=mark).string
        self.assertIn(why, line)
        # Logged by its tag, never itself.
        self.assertNotIn(token[-20:], line)
        self.assertRegex(line, r"token #[0-9a-f]{12}")

    def test_algorithms(self):
        k = self.keys
        ok = dict(aud="wsgate", iss="https://app.example")
        self.reach("/hs", k.sign("HS256", self.claims()))
        self.reach("/rs", k.sign("RS256", self.claims()))
        self.reach("/es", k.sign("ES256", self.claims(**ok)))
        # websockify's claims may give the port as a string; a unix
        # socket by its own claim.
        self.reach("/hs", k.sign("HS256", self.claims(
            port=str(self.b1.port))))
        self.reach("/rs", k.sign("RS256", {"unix_socket": self.u1.path}),
                   b"U1")

    def test_pinned_algorithm(self):
        k = self.keys
        for path in ("/hs", "/rs", "/es"):
            self.refused(path, k.sign("none", self.claims()),
                         "alg none refused")
        # HS/RS confusion: the RSA public key used as an HMAC secret.
        with open(k.path["rsa"] + ".pub", "rb") as f:
            pub = f.read()
        self.refused("/rs", k.sign("HS256", self.claims(), key=pub),
                     "alg is not the configured jwt_algorithm")
        self.refused("/hs", k.sign("RS256", self.claims()),
                     "alg is not the configured jwt_algorithm")
        # Signed with another key, or with the secret's text.
        self.refused("/es", k.sign("ES256", self.claims(aud="wsgate",
                                   iss="https://app.example"),
                                   key=k.path["ec2"]), "signature")
        self.refused("/hs", k.sign("HS256", self.claims(),
                                   key=b64url(k.secret).encode()),
                     "signature")
        self.assertEqual(len(self.b1.conns), 0)

    def test_claims(self):
        k = self.keys
        now = int(time.time())
        ok = dict(aud="wsgate", iss="https://app.example")
        self.refused("/hs", k.sign("HS256", self.claims(exp=now - 3600)),
                     "token expired")
        self.refused("/hs", k.sign("HS256", self.claims(nbf=now + 3600)),
                     "token not valid yet (nbf)")
        # Within jwt_leeway (30 s by default, 1m on /es).
        self.reach("/hs", k.sign("HS256", self.claims(exp=now - 5,
                                                      nbf=now + 5)))
        self.reach("/es", k.sign("ES256", self.claims(exp=now - 50, **ok)))
        self.refused("/es", k.sign("ES256", self.claims(aud="other",
                     iss="https://app.example")), "aud")
        self.refused("/es", k.sign("ES256", self.claims(aud="wsgate")),
                     "no iss claim")
        self.refused("/hs", k.sign("HS256", self.claims(aud="wsgate")),
                     "no jwt_audience")
        # The origin claim must be the page's Origin.
        tok = k.sign("HS256", self.claims(origin="https://app.example"))
        self.reach("/hs", tok, origin="https://app.example")
        self.refused("/hs", tok, "origin claim", origin="https://evil.example")
        self.refused("/hs", tok, "origin claim")
        # allowed_targets holds for signed targets too.
        self.refused("/hs", k.sign("HS256", self.claims(port=self.b2.port)),
                     "not in allowed_targets")
        self.refused("/hs", k.sign("HS256", self.claims(host="192.0.2.1")),
                     "not in allowed_targets")
        self.refused("/hs", k.sign("HS256", {"unix_socket": "/run/x"}),
                     "not in allowed_targets")
        self.refused("/hs", "not.a.jwt", "not", status=403)
        c = self.raw(self.gw)
        c.handshake("/hs", expect=404)
        self.assertEqual(len(self.b2.conns), 0)


class SecretFile(unittest.TestCase):
    def test_world_readable_secret(self):
        d = tempfile.mkdtemp(prefix="wsgate-jwt-")
        self.addCleanup(shutil.rmtree, d, True)
        os.chmod(d, 0o755)
        secret = os.path.join(d, "secret")
        with open(secret, "w") as f:
            f.write(b64url(os.urandom(32)) + "\n")
        os.chmod(secret, 0o644)
        path = os.path.join(d, "wsgate.ini")
        with open(path, "w") as f:
            f.write(config({"j": {"path": "/j", "jwt_key": secret,
                                  "jwt_algorithm": "HS256",
                                  "allowed_targets": "127.0.0.1:1"}}))
        rc, _, err = run_binary(["-t", "-c", path])
        self.assertEqual(rc, 1, err)
        self.assertRegex(err, r"wsgate.ini:\d+: \[route:j\] jwt_key: .*"
                         r"secret: HS256 secret readable by every user "
                         r"\(mode 0644\).*chmod 600")
        os.chmod(secret, 0o600)
        rc, _, err = run_binary(["-t", "-c", path])
        self.assertEqual(rc, 0, err)
        # A public key where a secret is expected, and the reverse.
        with open(path, "w") as f:
            f.write(config({"j": {"path": "/j", "jwt_key": secret,
                                  "jwt_algorithm": "RS256",
                                  "allowed_targets": "127.0.0.1:1"}}))
        rc, _, err = run_binary(["-t", "-c", path])
        self.assertEqual(rc, 1, err)
        self.assertRegex(err, r"\[route:j\] jwt_key: .*not a RS256 key")


if __name__ == "__main__":
    unittest.main()
