"""A real DNS server on loopback for tests: dnsmasq, with zone data written by the test.

SYNOPSIS
    server = DnsServer(workdir)
    server.start([Zone("samen-veilig.test", mx=[(10, "mx1.samen-veilig.test")])],
                 servfail=["broken.test"], blackhole=["slow.test"], ttl=60)
    server.address                        '127.0.0.1:PORT' -- give this to the resolver
    server.queries("samen-veilig.test", "MX")   queries seen by the server (its log)
    server.restart([...])                 new data, same port (MX moved, NS moved...)
    server.stop()
    with BlackHole() as hole: hole.address  a nameserver that never answers

DESCRIPTION
    Two dnsmasq processes on 127.0.0.1, like a site resolver in front of the internet:

      front      the address tests use.  Recursive service, no cache (cache-size=0), logs
                 every query to a file (log-queries) so tests count queries AT THE SERVER.
                 Forwards each zone's top-level domain to the authority, names under
                 `servfail` to a responder that answers SERVFAIL, and names under
                 `blackhole` to a socket that never answers (dnsmasq then stays silent too).
      authority  authoritative (auth-server on its address) for each zone's TLD, so unknown
                 names get NXDOMAIN with the TLD's SOA, and for every Zone with apex=True
                 (answers NS and SOA there).  Negative answers carry the SOA, whose TTL and
                 minimum are `ttl`: what RFC 2308 negative caching needs.

    What dnsmasq can simulate: MX (mx-host; a null MX through dns-rr), A/AAAA (host-record),
    CNAME, NXDOMAIN, NODATA, SOA (one serial for all zones, auth-soa), SERVFAIL and silence
    (via the forwards above), truncation (answers over 1232 octets; TCP then works), and
    TTLs (auth-ttl, the same for all records).  What it can't: per-zone
    NS sets -- every zone is served by the same NS names (auth-server + auth-sec-servers,
    `ns=`), so "NS moved" is a restart with other `ns`, and "foreign NS next to ours" is a
    Zone's `extra_ns` (an NS record added with dns-rr); per-record TTLs; DNSSEC.

    Both processes run in the foreground and are stopped by their own PIDs.  A missing
    dnsmasq binary raises DnsServerError (fixtures turn that into pytest.fail, never skip).
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import dns.exception
import dns.message
import dns.query
import dns.rcode

from tests.support import ports

__all__ = ["BlackHole", "DnsServer", "DnsServerError", "ServfailResponder", "Zone"]

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
LOOPBACK = "127.0.0.1"
_QUERY_LINE = re.compile(r"query\[(?P<type>[A-Z0-9]+)\] (?P<name>\S+) from ")


class DnsServerError(RuntimeError):
    """dnsmasq is missing or did not come up; the message says why."""


@dataclass(frozen=True)
class Zone:
    """Records at one name.  apex=True makes it a zone of its own (NS and SOA answered)."""

    name: str
    mx: Sequence[tuple[int, str]] = ()  # (preference, exchange); exchange '.' = null MX
    a: Sequence[str] = ()
    aaaa: Sequence[str] = ()
    extra_ns: Sequence[str] = ()  # NS records next to the server's own
    cname: str | None = None  # this name is an alias of that one
    apex: bool = True
    hosts: Sequence[tuple[str, str]] = field(default_factory=tuple)  # (name, address)


def _wire_name(name: str) -> str:
    """A domain name in DNS wire format, as hex for dnsmasq's dns-rr."""
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode("ascii")
    return (out + b"\x00").hex()


def free_port() -> int:
    """A port free for both UDP and TCP on loopback (dnsmasq binds both)."""
    return ports.free_port(udp_too=True)


class BlackHole:
    """A UDP socket on loopback that receives queries and never answers."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((LOOPBACK, 0))
        self.port = int(self._sock.getsockname()[1])

    @property
    def address(self) -> str:
        """'127.0.0.1:PORT' for DnsSettings.nameservers."""
        return f"{LOOPBACK}:{self.port}"

    def close(self) -> None:
        """Stop listening."""
        self._sock.close()

    def __enter__(self) -> BlackHole:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class ServfailResponder:
    """A UDP socket on loopback that answers every query with SERVFAIL (a broken upstream)."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((LOOPBACK, 0))
        self._sock.settimeout(0.1)
        self.port = int(self._sock.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="servfail", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                reply = dns.message.make_response(dns.message.from_wire(data))
            except Exception:  # junk in, nothing out
                continue
            reply.set_rcode(dns.rcode.SERVFAIL)
            self._sock.sendto(reply.to_wire(), peer)

    def close(self) -> None:
        """Stop answering."""
        self._stop.set()
        self._thread.join(2)
        self._sock.close()


class _Dnsmasq:
    """One dnsmasq process in the foreground, started from a config file, stopped by PID."""

    def __init__(self, name: str, conf: Path, log: Path, port: int) -> None:
        self.name, self.conf, self.log, self.port = name, conf, log, port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, probe: str) -> None:
        self.log.write_text("")
        self.proc = subprocess.Popen(
            [DNSMASQ, "--keep-in-foreground", f"--conf-file={self.conf}"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        query = dns.message.make_query(probe, "SOA")
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise DnsServerError(f"dnsmasq ({self.name}) exited: {err.strip()[:500]}")
            try:
                dns.query.udp(query, LOOPBACK, port=self.port, timeout=0.05)
                return
            except (dns.exception.Timeout, OSError):
                time.sleep(0.01)
        self.stop()
        raise DnsServerError(f"dnsmasq ({self.name}) did not answer on port {self.port}")

    def stop(self) -> None:
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            os.kill(proc.pid, 15)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, 9)
                proc.wait(5)
        if proc.stderr:
            proc.stderr.close()


class DnsServer:
    """dnsmasq authority + recursive front on loopback; see the module docstring."""

    def __init__(self, workdir: Path) -> None:
        if not Path(DNSMASQ).exists():
            raise DnsServerError(
                "dnsmasq is not installed (apt-get install dnsmasq-base); "
                "the DNS tests need a real DNS server"
            )
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self._front = _Dnsmasq("front", workdir / "front.conf", workdir / "front.log", free_port())
        self._auth = _Dnsmasq("authority", workdir / "auth.conf", workdir / "auth.log", free_port())
        self._servfail: ServfailResponder | None = None
        self._hole: BlackHole | None = None
        self.zones: tuple[Zone, ...] = ()

    @property
    def address(self) -> str:
        """The front's 'HOST:PORT', for DnsSettings.nameservers."""
        return f"{LOOPBACK}:{self._front.port}"

    @property
    def log_path(self) -> Path:
        """The front's query log."""
        return self._front.log

    def _common(self, port: int, log: Path) -> list[str]:
        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        return [
            f"port={port}",
            f"listen-address={LOOPBACK}",
            "bind-interfaces",
            "no-resolv",
            "no-hosts",
            "no-poll",
            "pid-file=",
            f"user={user}",
            f"group={group}",
            "log-queries",
            f"log-facility={log}",
        ]

    def _write(
        self,
        zones: Sequence[Zone],
        servfail: Iterable[str],
        blackhole: Iterable[str],
        ns: Sequence[str],
        ttl: int,
        serial: int,
    ) -> list[str]:
        if not ns:
            raise ValueError("at least one NS name")
        tlds = list(dict.fromkeys(z.name.rsplit(".", 1)[-1] for z in zones)) or ["test"]
        auth = [
            *self._common(self._auth.port, self._auth.log),
            "cache-size=0",
            f"auth-server={ns[0]},{LOOPBACK}",
            f"auth-soa={serial},hostmaster.{ns[0]},1200,180,1209600",
            f"auth-ttl={ttl}",
        ]
        if ns[1:]:
            auth.append(f"auth-sec-servers={','.join(ns[1:])}")
        # dnsmasq picks the LAST matching auth-zone: the TLD zones first, specific ones after.
        auth += [f"auth-zone={tld}" for tld in tlds]
        for zone in zones:
            if zone.apex:
                auth.append(f"auth-zone={zone.name}")
            for pref, host in zone.mx:
                if host == ".":
                    auth.append(f"dns-rr={zone.name},15,{pref:04x}00")
                else:
                    auth.append(f"mx-host={zone.name},{host},{pref}")
            for address in (*zone.a, *zone.aaaa):
                auth.append(f"host-record={zone.name},{address}")
            if zone.cname is not None:
                auth.append(f"cname={zone.name},{zone.cname}")
            for host in zone.extra_ns:
                auth.append(f"dns-rr={zone.name},2,{_wire_name(host)}")
            for name, address in zone.hosts:
                auth.append(f"host-record={name},{address}")
        self._auth.conf.write_text("\n".join(auth) + "\n")

        front = [*self._common(self._front.port, self._front.log), "cache-size=0"]
        front += [f"server=/{tld}/{LOOPBACK}#{self._auth.port}" for tld in tlds]
        assert self._servfail is not None and self._hole is not None
        front += [f"server=/{d}/{LOOPBACK}#{self._servfail.port}" for d in servfail]
        front += [f"server=/{d}/{LOOPBACK}#{self._hole.port}" for d in blackhole]
        self._front.conf.write_text("\n".join(front) + "\n")
        return tlds

    def start(
        self,
        zones: Sequence[Zone],
        *,
        servfail: Iterable[str] = (),
        blackhole: Iterable[str] = (),
        ns: Sequence[str] = ("ns1.provider.test", "ns2.provider.test"),
        ttl: int = 60,
        serial: int = 2026010101,
    ) -> None:
        """Write the configs and start both processes; wait until they answer."""
        if self._servfail is None:
            self._servfail = ServfailResponder()
        if self._hole is None:
            self._hole = BlackHole()
        tlds = self._write(zones, servfail, blackhole, ns, ttl, serial)
        self.zones = tuple(zones)
        self._auth.start(probe=tlds[0])
        try:
            self._front.start(probe=tlds[0])
        except DnsServerError:
            self._auth.stop()
            raise
        self._front.log.write_text("")  # forget the readiness probes

    def restart(self, zones: Sequence[Zone], **kwargs: object) -> None:
        """Stop both processes and start again, same ports, with new data."""
        self._front.stop()
        self._auth.stop()
        self.start(zones, **kwargs)  # type: ignore[arg-type]

    def stop(self) -> None:
        """Stop both processes (by PID) and the helper sockets."""
        self._front.stop()
        self._auth.stop()
        if self._servfail is not None:
            self._servfail.close()
            self._servfail = None
        if self._hole is not None:
            self._hole.close()
            self._hole = None

    def queries(self, name: str | None = None, rdtype: str | None = None) -> int:
        """How many queries the front received (matching `name`/`rdtype` when given)."""
        time.sleep(0.05)  # dnsmasq writes its log line as it reads the query; let it land
        count = 0
        for line in self._front.log.read_text(errors="replace").splitlines():
            found = _QUERY_LINE.search(line)
            if found is None:
                continue
            if name is not None and found["name"].lower() != name.lower():
                continue
            if rdtype is not None and found["type"] != rdtype.upper():
                continue
            count += 1
        return count

    def __enter__(self) -> DnsServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
