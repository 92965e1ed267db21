"""Small PKI for the test cluster: a CA, serving certificates, a signing key.

Uses the ``cryptography`` package when it is importable and the ``openssl``
command otherwise. Everything is for loopback use in tests only.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

try:  # pragma: no cover - exercised by whichever branch is available
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    HAVE_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover
    HAVE_CRYPTOGRAPHY = False

DEFAULT_NAMES = ("localhost",)
DEFAULT_IPS = ("127.0.0.1",)
VALID_DAYS = 3650


@dataclass(frozen=True)
class CertPair:
    cert: Path
    key: Path


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _openssl() -> str:
    exe = shutil.which("openssl")
    if not exe:
        raise RuntimeError("neither the 'cryptography' package nor the 'openssl' command is available")
    return exe


# --- cryptography backend ---------------------------------------------------


def _ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _now():
    return datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)


def _crypto_ca(directory: Path, common_name: str) -> CertPair:
    key = _ec_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now())
        .not_valid_after(_now() + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    pair = CertPair(directory / "ca.crt", directory / "ca.key")
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_private(pair.key, _pem_key(key))
    return pair


def _crypto_leaf(ca: CertPair, out: CertPair, common_name: str, names, ips) -> CertPair:
    ca_cert = x509.load_pem_x509_certificate(ca.cert.read_bytes())
    ca_key = serialization.load_pem_private_key(ca.key.read_bytes(), password=None)
    key = _ec_key()
    san = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now())
        .not_valid_after(_now() + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    out.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_private(out.key, _pem_key(key))
    return out


def _crypto_rsa_keypair(private: Path, public: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _write_private(private, _pem_key(key))
    public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


# --- openssl backend ----------------------------------------------------------


def _run(*args: str) -> None:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _openssl_ca(directory: Path, common_name: str) -> CertPair:
    pair = CertPair(directory / "ca.crt", directory / "ca.key")
    _run(_openssl(), "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(pair.key))
    os.chmod(pair.key, 0o600)
    _run(
        _openssl(),
        "req",
        "-x509",
        "-new",
        "-key",
        str(pair.key),
        "-sha256",
        "-days",
        str(VALID_DAYS),
        "-subj",
        f"/CN={common_name}",
        "-out",
        str(pair.cert),
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,digitalSignature,keyCertSign,cRLSign",
    )
    return pair


def _openssl_leaf(ca: CertPair, out: CertPair, common_name: str, names, ips) -> CertPair:
    san = ",".join([f"DNS:{n}" for n in names] + [f"IP:{i}" for i in ips])
    with tempfile.TemporaryDirectory() as tmp:
        csr = Path(tmp) / "leaf.csr"
        ext = Path(tmp) / "leaf.ext"
        ext.write_text(
            f"basicConstraints=critical,CA:FALSE\nsubjectAltName={san}\nextendedKeyUsage=serverAuth,clientAuth\n"
        )
        _run(_openssl(), "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(out.key))
        os.chmod(out.key, 0o600)
        _run(_openssl(), "req", "-new", "-key", str(out.key), "-subj", f"/CN={common_name}", "-out", str(csr))
        _run(
            _openssl(),
            "x509",
            "-req",
            "-in",
            str(csr),
            "-CA",
            str(ca.cert),
            "-CAkey",
            str(ca.key),
            "-CAcreateserial",
            "-days",
            str(VALID_DAYS),
            "-sha256",
            "-extfile",
            str(ext),
            "-out",
            str(out.cert),
        )
    return out


def _openssl_rsa_keypair(private: Path, public: Path) -> None:
    _run(_openssl(), "genrsa", "-out", str(private), "2048")
    os.chmod(private, 0o600)
    _run(_openssl(), "rsa", "-in", str(private), "-pubout", "-out", str(public))


# --- public API ---------------------------------------------------------------


def make_ca(directory: Path, common_name: str = "wicn-test-ca") -> CertPair:
    """Create ``ca.crt``/``ca.key`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    if HAVE_CRYPTOGRAPHY:
        return _crypto_ca(directory, common_name)
    return _openssl_ca(directory, common_name)


def make_leaf(
    ca: CertPair,
    directory: Path,
    stem: str,
    common_name: str | None = None,
    names=DEFAULT_NAMES,
    ips=DEFAULT_IPS,
) -> CertPair:
    """Create ``<stem>.crt``/``<stem>.key`` signed by ``ca`` (server and client auth)."""
    directory.mkdir(parents=True, exist_ok=True)
    out = CertPair(directory / f"{stem}.crt", directory / f"{stem}.key")
    if HAVE_CRYPTOGRAPHY:
        return _crypto_leaf(ca, out, common_name or stem, names, ips)
    return _openssl_leaf(ca, out, common_name or stem, names, ips)


def make_self_signed(directory: Path, stem: str) -> tuple[CertPair, CertPair]:
    """A throw-away CA plus a loopback serving certificate; returns (ca, leaf)."""
    ca_dir = directory / f"{stem}-ca"
    ca = make_ca(ca_dir, common_name=f"{stem}-ca")
    return ca, make_leaf(ca, directory, stem)


def make_rsa_keypair(private: Path, public: Path) -> None:
    """An RSA key pair (PEM) for signing service-account tokens."""
    private.parent.mkdir(parents=True, exist_ok=True)
    if HAVE_CRYPTOGRAPHY:
        _crypto_rsa_keypair(private, public)
    else:
        _openssl_rsa_keypair(private, public)
