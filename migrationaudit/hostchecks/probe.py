"""Probe one host the way a visitor's client would meet it: its DNS answer (the system
resolver, or the audit's ``--resolve``/``--connect-to`` entry, never another lookup) and, over
https, the certificate its TLS handshake presents.

The certificate is read whatever its validity: trusting it is the crawl's job (a failed
verification is already a network error on the hops); here the question is how many days the
old host keeps serving its redirects before browsers refuse it. Every failure is data (an
``error`` text on the probe), never an exception.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from urllib.parse import urlsplit

from migrationaudit.hostchecks.model import HostProbe, days_between
from migrationaudit.settings import ConnectTo

PROBE_TIMEOUT = 10.0  # seconds per connection (and per DNS answer, as the OS allows)
MAX_HOSTS = 200  # hosts probed per run; a map naming more is cut (the report says so)
THREADS = 8


def split_origin(origin: str) -> tuple[str, str, int]:
    """``https://Host:8443`` → ("https", "host", 8443); default ports filled in."""
    parts = urlsplit(origin)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, (parts.hostname or "").lower(), port


def resolve(
    host: str, port: int, connect_to: Sequence[ConnectTo]
) -> tuple[tuple[str, ...], str, int, str | None]:
    """(addresses, resolved by, port to connect to, error): the ``--resolve``/``--connect-to``
    entry for HOST:PORT when there is one, else the system resolver's answer."""
    for entry in connect_to:
        if entry.host.lower().strip("[]") == host and entry.port == port:
            return (entry.addr.strip("[]"),), f"--connect-to {entry.spec}", entry.connect_port, None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        return (), "system resolver", port, f"dns: {exc}"
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    return addresses, "system resolver", port, None


def _names(cert: object) -> str | None:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    assert isinstance(cert, x509.Certificate)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names = [str(n) for n in san.value.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        names = []
    if not names:
        names = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return ", ".join(names[:5]) or None


def certificate(
    host: str, address: str, port: int, timeout: float = PROBE_TIMEOUT
) -> tuple[datetime | None, str | None, str | None]:
    """(notAfter, names, error) of the certificate ``address:port`` presents for ``host``
    (SNI), read without verifying it."""
    from cryptography import x509

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((address, port), timeout=timeout) as raw:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError, ValueError) as exc:
        return None, None, f"tls: {exc}"
    if not der:
        return None, None, "tls: no certificate presented"
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        return None, None, f"tls: unreadable certificate: {exc}"
    return cert.not_valid_after_utc, _names(cert), None


def probe(
    origin: str,
    connect_to: Sequence[ConnectTo] = (),
    timeout: float = PROBE_TIMEOUT,
    now: datetime | None = None,
) -> HostProbe:
    """The DNS answer of ``origin``'s host and, for https, its certificate's expiry."""
    scheme, host, port = split_origin(origin)
    if not host:
        return HostProbe(origin=origin, dns_error="dns: no host name")
    addresses, by, connect_port, error = resolve(host, port, connect_to)
    out = HostProbe(origin=origin, addresses=addresses, resolved_by=by, dns_error=error)
    if scheme != "https" or not addresses:
        return out
    not_after, names, tls_error = certificate(host, addresses[0], connect_port, timeout)
    if not_after is None:
        return HostProbe(origin, addresses, by, error, tls_error=tls_error)
    when = now or datetime.now(UTC)
    return HostProbe(
        origin,
        addresses,
        by,
        error,
        not_after=not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
        days_left=days_between(when, not_after),
        subject=names,
    )


def probe_all(
    origins: Iterable[str],
    connect_to: Sequence[ConnectTo] = (),
    timeout: float = PROBE_TIMEOUT,
    now: datetime | None = None,
) -> tuple[HostProbe, ...]:
    """Every origin probed (at most :data:`MAX_HOSTS`, a few at a time), in the given order."""
    todo = list(dict.fromkeys(origins))[:MAX_HOSTS]
    when = now or datetime.now(UTC)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return tuple(pool.map(lambda o: probe(o, connect_to, timeout, when), todo))
