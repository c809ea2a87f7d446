"""Where webhooks may go (SSRF), and how a try goes over the wire: https to public
addresses only, checked after resolution and again at each try, the connection
made to the checked address (no traffic at all to a refused one), no proxies,
no redirects, one total deadline, 1 KB kept."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.webhook_receiver import Receiver
from wom import actions
from wom.contract.webhooks import WebhookInput
from wom.store import InvalidInput, ingest, now_micros
from wom.webhooks import Deliverer, Policy, Refused, Sealer, transport
from wom.webhooks.addresses import refusal

REFUSED = [
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "127.0.0.1",
    "0.0.0.0",
    "100.64.0.1",  # CGNAT
    "100.100.100.200",  # Alibaba's metadata, inside CGNAT
    "169.254.169.254",  # AWS, GCP and Azure metadata
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fd00:ec2::254",  # AWS metadata over IPv6
    "fe80::1",
    "fc00::1",
    "::ffff:10.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::ffff:127.0.0.1",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:a00:1::",  # 6to4 of 10.0.0.1
    "2001:db8::1",
]


@pytest.mark.parametrize("address", REFUSED)
def test_private_and_special_addresses_are_refused(address):
    assert refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_loopback_only_under_the_environment_flag(address):
    assert refusal(ipaddress.ip_address(address), allow_loopback=True) is None


@pytest.mark.parametrize("flag", [None, "0", "yes"])
def test_the_flag_is_the_environment_variable_set_to_1(monkeypatch, flag):
    if flag is None:
        monkeypatch.delenv("WOM_WEBHOOK_ALLOW_LOOPBACK", raising=False)
    else:
        monkeypatch.setenv("WOM_WEBHOOK_ALLOW_LOOPBACK", flag)
    assert not Policy.from_environment().allow_loopback
    monkeypatch.setenv("WOM_WEBHOOK_ALLOW_LOOPBACK", "1")
    assert Policy.from_environment().allow_loopback


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example/", "https"),
        ("ftp://hooks.example/", "https"),
        ("https://user:pw@hooks.example/", "passwords"),
        ("https:///path", "no host"),
        ("https://hooks.example:99999/", "port"),
        ("https://hooks.example/" + "a" * 2000, "2000"),
    ],
)
def test_urls_wom_will_not_send_to(url, why):
    with pytest.raises(Refused, match=why):
        Policy().check_url(url)


def resolving_to(*addresses: str):
    """A resolver that answers ``addresses`` for any host, as getaddrinfo does."""

    def resolve(host, port, **kwargs):
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port),
            )
            for a in addresses
        ]

    return resolve


@pytest.fixture
def no_traffic(monkeypatch):
    """Every socket the transport would open, recorded and refused."""
    opened = []

    def refuse(*args, **kwargs):
        opened.append(args)
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(transport.socket, "socket", refuse)
    return opened


@pytest.mark.parametrize(
    "answer",
    [("10.0.0.5",), ("93.184.215.14", "169.254.169.254"), ("::ffff:10.0.0.1",)],
)
def test_a_host_resolving_to_a_private_address_is_refused_unsent(
    store, no_traffic, answer
):
    policy = Policy(resolver=resolving_to(*answer))
    asked = WebhookInput(url="https://hooks.example/wom", events=["customer.created"])
    with pytest.raises(InvalidInput) as refused:
        actions.add_webhook(store, Sealer("k" * 32), policy, asked, now=now_micros())
    assert refused.value.errors[0]["field"] == "url"
    assert "resolves to" in refused.value.errors[0]["message"]
    assert no_traffic == []
    assert (
        store.reader().execute("SELECT count(*) FROM webhook_endpoints").fetchone()[0]
        == 0
    )


def test_a_host_that_resolves_elsewhere_later_gets_nothing(store, no_traffic):
    """DNS rebinding: public when added, private at the try. The try is refused
    before any connection, and the refusal is recorded."""
    answers = {"now": ("93.184.215.14",)}
    policy = Policy(resolver=lambda *a, **k: resolving_to(*answers["now"])(*a, **k))
    sealer = Sealer("k" * 32)
    asked = WebhookInput(url="https://hooks.example/wom", events=["customer.created"])
    made = actions.add_webhook(store, sealer, policy, asked, now=now_micros())
    answers["now"] = ("169.254.169.254",)
    ingest(store, [{"type": "signup", "customer": "ann", "at": "2026-01-01T00:00:00Z"}])
    Deliverer(store, sealer, policy).run_once()
    assert no_traffic == []
    tried = store.reader().execute("SELECT status, error FROM webhook_attempts")
    ((status, error),) = tried.fetchall()
    assert status is None
    assert "169.254.169.254" in error and made["id"]


# -- the wire -------------------------------------------------------------------


def stop(server: socket.socket) -> None:
    """Close a listening socket, waking the thread blocked in its accept()."""
    try:
        server.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    server.close()


class Answering:
    """A TCP server on loopback that answers each connection with ``reply(conn)``."""

    def __init__(self, reply):
        self.reply = reply
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.recv(65536)
                try:
                    self.reply(conn)
                except OSError:
                    pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        stop(self.server)
        self.thread.join(5)

    def target(self, host: str = "127.0.0.1"):
        return Policy(allow_loopback=True).target(f"http://{host}:{self.port}/hook")


def test_a_drip_fed_answer_is_cut_at_the_total_deadline():
    """One byte every 0.2 s is within any per-read timeout, not within 1 s."""

    def drip(conn):
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 40:
            conn.sendall(bytes([byte]))
            time.sleep(0.2)

    with Answering(drip) as server:
        answer = transport.post(server.target(), b"{}", {}, timeout=1.0)
    assert answer.status is None
    assert "within 1 s" in answer.error


def test_a_redirect_is_not_followed():
    with Answering(lambda conn: conn.sendall(b"")) as elsewhere:

        def redirect(conn):
            conn.sendall(
                b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:"
                + str(elsewhere.port).encode()
                + b"/\r\nContent-Length: 0\r\n\r\n"
            )

        with Answering(redirect) as server:
            answer = transport.post(server.target(), b"{}", {})
    assert answer.status == 307
    assert elsewhere.connections == 0


def test_at_most_a_kilobyte_of_the_answer_is_kept():
    def large(conn):
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100000
        )

    with Answering(large) as server:
        answer = transport.post(server.target(), b"{}", {})
    assert answer.status == 200
    assert len(answer.excerpt) == 1024


def test_proxy_variables_are_ignored(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    with Receiver() as receiver:
        target = Policy(allow_loopback=True).target(receiver.url)
        answer = transport.post(target, b"{}", {})
    assert answer.status == 200
    assert len(receiver.receipts) == 1


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for the name localhost, and a context trusting it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    trusting = ssl.create_default_context(cafile=str(folder / "cert.pem"))
    return folder, trusting


@pytest.fixture
def tls_server(certificate):
    """An https server on 127.0.0.1 that records the SNI name each client sent."""
    folder, _ = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    names = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)

    raw = socket.create_server(("127.0.0.1", 0))
    port = raw.getsockname()[1]

    def serve():
        try:
            conn, _ = raw.accept()
        except OSError:
            return
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(65536)
                tls.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
        except (OSError, ssl.SSLError):
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port, names
    stop(raw)
    thread.join(5)


def test_https_connects_to_the_checked_address_with_sni_for_the_name(
    certificate, tls_server
):
    _, trusting = certificate
    port, names = tls_server
    policy = Policy(allow_loopback=True, resolver=resolving_to("127.0.0.1"))
    target = policy.target(f"https://localhost:{port}/hook")
    assert target.addresses == ((socket.AF_INET, "127.0.0.1"),)
    answer = transport.post(target, b"{}", {}, tls=trusting)
    assert answer.status == 204
    assert names == ["localhost"]


def test_https_verifies_the_certificate_for_the_name(certificate, tls_server):
    port, _ = tls_server
    policy = Policy(allow_loopback=True, resolver=resolving_to("127.0.0.1"))
    target = policy.target(f"https://localhost:{port}/hook")
    answer = transport.post(target, b"{}", {})  # the system's trust: not ours
    assert answer.status is None
    assert answer.error.startswith("TLS")
