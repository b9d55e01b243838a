"""`vnarchive portals` and `vnarchive probe`, against the replica and real sockets."""

import json
import re
import socket
import ssl
import threading
from datetime import datetime, timedelta, timezone

import pytest

from crawler.probe import check_tls
from crawler.registry import load_registry
from tests.conftest import run_vnarchive


def test_portals_json_lists_every_province_before_and_after_2025():
    result = run_vnarchive("portals", "--json", "--db", "/nonexistent/archive.db")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == len(load_registry().portals)
    assert len({row["province"] for row in rows if row["province"] != "Trung ương"}) == 63
    assert len({row["province_2025"] for row in rows if row["province"] != "Trung ương"}) == 34
    hanam = next(row for row in rows if row["id"] == "hanam")
    assert (hanam["platform"], hanam["status"], hanam["successor"], hanam["verified"]) == ("sharepoint_tandan", "moved", "ninhbinh", False)
    assert hanam["articles"] == 0 and hanam["last_ok_run"] is None


def test_portals_table_shows_what_the_archive_holds(crawled_archive):
    db, _ = crawled_archive
    result = run_vnarchive("portals", "--db", str(db))
    assert result.returncode == 0, result.stderr
    cells = {line.split()[0]: re.split(r"\s{2,}", line) for line in result.stdout.splitlines()[1:-1]}
    portal, province, after, platform, status, verified, articles, newest, last_ok, last_run = cells["hanoi"]
    assert (province, after, platform, verified, articles, last_run) == ("Hà Nội", "Hà Nội", "hanoi_cms", "no", "6", "ok")
    assert last_ok.startswith("2026-11-23")  # the frozen clock of the crawl
    assert cells["hanam"][4] == "moved → ninhbinh"
    assert result.stdout.splitlines()[-1].endswith("not verified against the live site")


def test_probe_reports_each_portal_and_exits_partial_when_one_is_broken(replica):
    result = run_vnarchive("probe", "--replica", replica.base_url, "--portal", "hanam", "--portal", "hanoi",
                           "--portal", "thuathienhue", "--json")
    assert result.returncode == 4, result.stdout + result.stderr[-2000:]
    rows = {row["portal"]: row for row in json.loads(result.stdout)}
    assert rows["hanam"]["ok"] and rows["hanam"]["listing"].startswith("ok 200")
    assert rows["hanam"]["article"].startswith("ok: ") and "+07:00" in rows["hanam"]["article"]
    assert rows["hanoi"]["ok"]
    assert rows["hanam"]["dns"] == rows["hanam"]["tls"] == "skipped"
    assert not rows["thuathienhue"]["ok"] and "404" in rows["thuathienhue"]["listing"]


def test_probe_refuses_an_unknown_portal():
    result = run_vnarchive("probe", "--replica", "http://127.0.0.1:9", "--portal", "atlantis")
    assert result.returncode == 2 and "no portal 'atlantis'" in result.stderr


# --- TLS, against a local server with a certificate made here --------------------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hanam.gov.vn")])
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(start).not_valid_after(start + timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("hanam.gov.vn")]), critical=False)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture(scope="module")
def tls_server(certificate):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            try:
                with context.wrap_socket(connection, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    listener.close()


def test_tls_check_refuses_a_certificate_nobody_vouches_for(tls_server):
    assert check_tls("hanam.gov.vn", tls_server, address="127.0.0.1").startswith("failed: certificate:")


def test_tls_check_counts_the_days_left(tls_server, certificate):
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    now = datetime(2026, 11, 23, tzinfo=timezone.utc)
    assert check_tls("hanam.gov.vn", tls_server, address="127.0.0.1", context=trusting, now=now) == "ok, expires in 39 days"


def test_tls_check_names_a_host_the_certificate_is_not_for(tls_server, certificate):
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    assert "failed: certificate:" in check_tls("hanoi.gov.vn", tls_server, address="127.0.0.1", context=trusting)
