"""A certificate authority of the run's own, so mocks can speak HTTPS as the vendors do.

Real Salesforce clients (simple-salesforce among them) build ``https://`` URLs and verify what they
reach. Each run mints a fresh CA (trustme) and one loopback certificate from it; the CA's PEM goes
into the run folder as ``ca.pem`` and into the SUT's environment as the trust bundle, so a SUT
verifies the mocks exactly as it would verify a vendor, with nothing turned off. The private keys
never touch the disk: servers load them into their SSL context from memory.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme

from harness.hosting import LOOPBACK

CA_FILE = "ca.pem"
"""Name of the CA bundle in the run folder."""

SERVED_NAMES = (LOOPBACK, "localhost")
"""What the mocks' certificate is valid for: they only ever serve loopback."""


class RunCertificates:
    """The run's CA and the certificate every HTTPS mock presents."""

    def __init__(self) -> None:
        self._authority = trustme.CA(organization_name="rehearse run CA")
        self._certificate = self._authority.issue_cert(*SERVED_NAMES)

    @property
    def ca_pem(self) -> bytes:
        return self._authority.cert_pem.bytes()

    def write_ca(self, folder: Path) -> Path:
        """Write the CA bundle a client needs to trust the mocks; answer its absolute path."""
        path = (folder / CA_FILE).resolve()
        path.write_bytes(self.ca_pem)
        return path

    def server_context(self) -> ssl.SSLContext:
        """An SSL context that presents the loopback certificate (for uvicorn's context factory)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._certificate.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """An SSL context that trusts the run's CA and nothing else (for in-process clients)."""
        context = ssl.create_default_context()
        self._authority.configure_trust(context)
        return context


def client_environment(ca_bundle: Path) -> dict[str, str]:
    """The variables that make common HTTP stacks trust the run's CA.

    ``SSL_CERT_FILE`` is read by OpenSSL-based clients and httpx, ``REQUESTS_CA_BUNDLE`` by requests
    (hence simple-salesforce), ``NODE_EXTRA_CA_CERTS`` by Node; ``REHEARSE_CA_BUNDLE`` names the file
    for anything configured by hand.
    """
    path = str(ca_bundle)
    return {
        "REHEARSE_CA_BUNDLE": path,
        "SSL_CERT_FILE": path,
        "REQUESTS_CA_BUNDLE": path,
        "NODE_EXTRA_CA_CERTS": path,
    }
