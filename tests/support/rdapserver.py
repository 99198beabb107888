"""A real RDAP server on loopback for tests, and the bootstrap file that names it.

SYNOPSIS
    with RdapServer({"nieuwe-kliniek.example": ("2026-11-20", "2026-11-20")}) as rdap:
        rdap.write_bootstrap(path, tlds=["example"])   # RFC 9224 dns.json naming this server
        rdap.requests                                  # domains asked, in order
        rdap.down = True                               # answers 503 from now on
        rdap.silent = True                             # accepts, never answers (timeouts)

DESCRIPTION
    An ``http.server`` on 127.0.0.1 (a free port), one thread per request. ``GET
    /domain/NAME`` answers a domain object shaped like SIDN's (.nl) RDAP answers (RFC 9083):
    ``objectClassName``, ``ldhName``, ``status``, ``events`` with ``registration``, ``last
    changed`` and ``last update of RDAP database`` (which Postwarden must ignore), nameservers,
    the registrar entity, notices and links, as ``application/rdap+json``. Unknown names get 404
    with an RDAP error object. Plain http is allowed by Postwarden only because this is
    loopback; real registries are https.

    The server stops on ``close()`` (or leaving the ``with``), by shutting down its own loop.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any


def sidn_like(name: str, registered: str, changed: str | None) -> dict[str, Any]:
    """An RDAP domain object as SIDN serves one (trimmed, same fields and shapes)."""
    events = [{"eventAction": "registration", "eventDate": f"{registered}T10:12:43Z"}]
    if changed is not None:
        events.append({"eventAction": "last changed", "eventDate": f"{changed}T08:01:02Z"})
    events.append(
        {"eventAction": "last update of RDAP database", "eventDate": "2026-12-07T06:00:00Z"}
    )
    return {
        "rdapConformance": ["rdap_level_0", "icann_rdap_response_profile_0"],
        "objectClassName": "domain",
        "handle": name,
        "ldhName": name,
        "status": ["active"],
        "events": events,
        "nameservers": [
            {"objectClassName": "nameserver", "ldhName": f"ns1.{name}"},
            {"objectClassName": "nameserver", "ldhName": f"ns2.{name}"},
        ],
        "secureDNS": {"delegationSigned": False},
        "entities": [
            {
                "objectClassName": "entity",
                "handle": "1234",
                "roles": ["registrar"],
                "vcardArray": [
                    "vcard",
                    [["version", {}, "text", "4.0"], ["fn", {}, "text", "Registrar B.V."]],
                ],
            }
        ],
        "links": [
            {
                "value": f"https://rdap.example/domain/{name}",
                "rel": "self",
                "href": f"https://rdap.example/domain/{name}",
                "type": "application/rdap+json",
            }
        ],
        "notices": [{"title": "Terms of Use", "description": ["Test registry."]}],
    }


class RdapServer:
    """A loopback RDAP server answering for ``domains``: name -> (registered, last changed)."""

    def __init__(self, domains: dict[str, tuple[str, str | None]]) -> None:
        self.domains = dict(domains)
        self.requests: list[str] = []
        self.down = False
        self.silent = False
        self._release = threading.Event()  # lets silent handlers end at close()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.rpartition("/domain/")[2].lower()
                server.requests.append(name)
                if server.silent:
                    server._release.wait(60)
                    return
                if server.down:
                    self._answer(503, {"errorCode": 503, "title": "Service Unavailable"})
                    return
                found = server.domains.get(name)
                if found is None:
                    self._answer(404, {"errorCode": 404, "title": "Not Found"})
                    return
                self._answer(200, sidn_like(name, *found))

            def _answer(self, code: int, doc: dict[str, Any]) -> None:
                body = json.dumps(doc).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/rdap+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def write_bootstrap(self, path: Path, tlds: list[str]) -> Path:
        """An RFC 9224 dns.json that names this server for `tlds` (and a real-looking https
        entry for .nl that the tests never reach)."""
        doc = {
            "description": "RDAP bootstrap file for Domain Name System registrations (test)",
            "publication": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "version": "1.0",
            "services": [[tlds, [self.url]], [["nl"], ["https://rdap.sidn.nl/"]]],
        }
        path.write_text(json.dumps(doc))
        return path

    def close(self) -> None:
        self._release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def __enter__(self) -> RdapServer:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.close()
