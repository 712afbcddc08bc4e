"""tls_support.py -- a throwaway PKI made with the openssl command, TLS
backends and client contexts for test_tls.py.

Nothing here is committed key material: every key and certificate is
generated in a temporary directory when the tests start, and removed
after them.

    pki = PKI(tmpdir)                 # root CA -> intermediate CA -> leaves
    pki.server                        # Leaf: .cert (full chain), .key
    pki.client_ctx()                  # ssl.SSLContext trusting the root
    TLSEchoBackend(pki.backend)       # TLS echo service on 127.0.0.1:0
"""

import os
import socket
import ssl
import subprocess

import harness

OPENSSL = "openssl"


def openssl(args, cwd, limit=60):
    """Run the openssl command; raise with its output when it fails."""
    p = subprocess.run([OPENSSL] + list(args), cwd=cwd,
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=limit)
    if p.returncode != 0:
        raise AssertionError("openssl %s failed:\n%s%s" % (
            " ".join(args), p.stdout.decode(errors="replace"),
            p.stderr.decode(errors="replace")))
    return p.stdout.decode(errors="replace")


class Leaf:
    """A certificate (PEM chain: leaf first, then the intermediate) and
    its private key (mode 0600), as paths."""

    def __init__(self, name, cert, key, serial=None):
        self.name = name
        self.cert = cert
        self.key = key
        self.serial = serial


_CA_CNF = """\
[ ca ]
default_ca = ca_default
[ ca_default ]
dir = .
database = {name}.index
new_certs_dir = .
serial = {name}.serial
default_md = sha256
policy = policy_any
copy_extensions = copy
unique_subject = no
[ policy_any ]
commonName = supplied
"""


class PKI:
    """Root CA -> intermediate CA -> server, client, backend leaves.

    Clients trust only the root, so every server must send its full
    chain.  EC P-256 keys (fast to make), except the main server, which
    is RSA so that both kinds of server key are exercised.
    """

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self._serial = 1000
        self.root_cert, self.root_key = self._ca("root", "wsgate test root")
        self.inter_cert, self.inter_key = self._ca(
            "inter", "wsgate test intermediate", parent="root")
        self.ca = self.root_cert          # what clients trust
        self.server = self.leaf("server", "localhost",
                                ["DNS:localhost", "IP:127.0.0.1",
                                 "DNS:wss.test"], rsa=True)
        self.alice = self.leaf("alice", "alice", ["DNS:alice.clients.test"],
                               usage="clientAuth")
        self.bob = self.leaf("bob", "bob", ["DNS:bob.clients.test"],
                             usage="clientAuth")
        self.backend = self.leaf("backend", "backend.test",
                                 ["DNS:backend.test", "IP:127.0.0.1"])
        self.other = self.leaf("other", "other.test", ["DNS:other.test"])
        self.expired = self.leaf("expired", "backend.test",
                                 ["DNS:backend.test", "IP:127.0.0.1"],
                                 expired=True)
        # Signed by a CA nobody trusts.
        self.rogue_cert, self.rogue_key = self._ca("rogue", "rogue CA")
        self.mallory = self.leaf("mallory", "alice",
                                 ["DNS:alice.clients.test"],
                                 usage="clientAuth", issuer="rogue")

    def path(self, name):
        return os.path.join(self.dir, name)

    def _ca(self, name, cn, parent=None):
        cert, key = name + ".pem", name + ".key"
        ext = ["-addext", "basicConstraints=critical,CA:TRUE",
               "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
        if parent is None:
            openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                     "-out", cert, "-days", "3", "-subj", "/CN=" + cn] +
                    ext, self.dir)
        else:
            openssl(["req", "-new", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                     "-out", name + ".csr", "-subj", "/CN=" + cn] + ext,
                    self.dir)
            self._sign(name, parent, days=3)
        os.chmod(self.path(key), 0o600)
        with open(self.path(name + ".index"), "w"):
            pass
        with open(self.path(name + ".serial"), "w") as f:
            f.write("%04X\n" % (self._next_serial() * 16))
        with open(self.path(name + ".cnf"), "w") as f:
            f.write(_CA_CNF.format(name=name))
        return self.path(cert), self.path(key)

    def _next_serial(self):
        self._serial += 1
        return self._serial

    def _sign(self, name, issuer, days=2, expired=False, dates=None):
        if expired:
            dates = ("20200101000000Z", "20200201000000Z")
        if dates:
            # "openssl x509" cannot backdate; "openssl ca" can.
            openssl(["ca", "-batch", "-config", issuer + ".cnf",
                     "-cert", issuer + ".pem", "-keyfile", issuer + ".key",
                     "-startdate", dates[0],
                     "-enddate", dates[1], "-notext",
                     "-in", name + ".csr", "-out", name + ".crt"],
                    self.dir)
        else:
            openssl(["x509", "-req", "-in", name + ".csr",
                     "-CA", issuer + ".pem", "-CAkey", issuer + ".key",
                     "-set_serial", str(self._next_serial()),
                     "-days", str(days), "-copy_extensions", "copyall",
                     "-out", name + ".crt"], self.dir)
        # name.pem: the chain a server sends (leaf, then its issuer
        # unless that is the root).
        with open(self.path(name + ".crt")) as f:
            chain = f.read()
        if issuer != "root" and issuer != "rogue" and name != issuer:
            with open(self.path(issuer + ".pem")) as f:
                chain += f.read()
        with open(self.path(name + ".pem"), "w") as f:
            f.write(chain)

    def leaf(self, name, cn, sans, usage="serverAuth", rsa=False,
             expired=False, issuer="inter", subject_extra="", dates=None):
        """Make name.pem (chain) and name.key; returns a Leaf.

        dates: (notBefore, notAfter) as YYYYMMDDHHMMSSZ."""
        key = name + ".key"
        newkey = (["-newkey", "rsa:2048"] if rsa else
                  ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
        openssl(["req", "-new"] + newkey + [
            "-nodes", "-keyout", key, "-out", name + ".csr",
            "-subj", "/CN=%s%s" % (cn, subject_extra),
            "-addext", "subjectAltName=" + ",".join(sans),
            "-addext", "extendedKeyUsage=" + usage,
            "-addext", "basicConstraints=critical,CA:FALSE"], self.dir)
        os.chmod(self.path(key), 0o600)
        self._sign(name, issuer, expired=expired, dates=dates)
        return Leaf(name, self.path(name + ".pem"), self.path(key))

    # -- contexts for Python clients and servers

    def client_ctx(self, cert=None, minimum=None, maximum=None):
        """A client context that verifies the gateway against the root
        (hostname checked), optionally presenting a client certificate."""
        ctx = ssl.create_default_context(cafile=self.ca)
        if cert is not None:
            ctx.load_cert_chain(cert.cert, cert.key)
        if minimum is not None:
            ctx.minimum_version = minimum
        if maximum is not None:
            ctx.maximum_version = maximum
        return ctx

    def server_ctx(self, leaf, client_ca=None):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(leaf.cert, leaf.key)
        if client_ca is not None:
            ctx.load_verify_locations(client_ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
        return ctx


def peer_subject(ssl_object):
    """The commonName of the certificate the server sent (verified)."""
    cert = ssl_object.getpeercert()
    for rdn in cert.get("subject", ()):
        for k, v in rdn:
            if k == "commonName":
                return v
    return None


def s_client_subject(port, servername=None, limit=10):
    """Ask `openssl s_client` which certificate the server presents for
    servername (None: send no SNI); returns the subject line."""
    args = ["s_client", "-connect", "127.0.0.1:%d" % port]
    args += ["-servername", servername] if servername else ["-noservername"]
    p = subprocess.run([OPENSSL] + args, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=limit)
    out = p.stdout.decode(errors="replace")
    for line in out.splitlines():
        if line.startswith("subject="):
            return line[len("subject="):].strip()
    raise AssertionError("no subject= line from s_client:\n" + out +
                         p.stderr.decode(errors="replace"))


class TLSEchoBackend(harness.Backend):
    """A TLS echo service on 127.0.0.1:0: harness.Backend's listener and
    threads, each connection wrapped in TLS with ctx.

    Records handshake errors (.errors) and the client certificates seen
    (.peer_cns).  Stops on stop() / leaving the with block, or after
    lifetime seconds at the latest.  Subclasses override handle(conn) and
    start it with wrap(conn).
    """

    def __init__(self, ctx, lifetime=120):
        self.ctx = ctx
        self.errors = []
        self.peer_cns = []
        super().__init__(lifetime=lifetime)

    def wrap(self, conn):
        """The connection as a TLS socket after the handshake, or None
        (the error recorded)."""
        conn.sock.settimeout(5)
        try:
            return self.ctx.wrap_socket(conn.sock, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.errors.append(str(e))
            return None

    def handle(self, conn):
        tls = self.wrap(conn)
        if tls is None:
            return
        try:
            cert = tls.getpeercert()
            if cert:
                self.peer_cns.append(peer_subject(tls))
            tls.settimeout(0.2)
            while not self.expired():
                try:
                    b = tls.recv(65536)
                except socket.timeout:
                    continue
                if not b:
                    break
                tls.settimeout(30)      # a paused gateway resumes
                tls.sendall(b)
                tls.settimeout(0.2)
        except (ssl.SSLError, OSError) as e:
            self.errors.append(str(e))
        finally:
            try:
                tls.close()
            except OSError:
                pass
