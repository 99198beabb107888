"""The portal's configuration file (``postwarden web --config FILE``), YAML:

    listen: 127.0.0.1:8480            # or unix:/run/postwarden-web/web.sock (behind nginx)
    gateways:
      - {name: gw1, address: "unix:/run/postwarden-quarantine.sock"}
    trusted_proxies: [127.0.0.1/32]   # peers whose user header is believed; "unix" for the socket
    user_header: X-Remote-User        # set by the proxy after single sign-on
    token_key_file: /etc/postwarden/link.key   # shared with the gateways (milter.portal.tokens)
    nonce_db: /var/lib/postwarden-portal/nonces.sqlite
    session_minutes: 15
    policy: /etc/postwarden/policy.yaml  # roles (quarantine.officers) and the policy view
    secure_cookies: true              # false only for a test on plain http
    metrics_url: null                 # optional: where the domain watch's metrics are

Every key is checked; an unknown, missing or malformed one is a ConfigError naming the file
and the key (and nothing is served).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

import yaml

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")  # what milter.portal.tokens signs
_HEADER = re.compile(r"^[A-Za-z0-9-]{1,64}$")


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key."""


GATEWAY_OPTIONS = ("cert", "key", "ca", "server_name")  # a tls: gateway (mutual TLS)


@dataclass(frozen=True)
class GatewaySpec:
    """One gateway as configured: its name (the one its links carry), its address
    (unix:/path, or tls:host:port with the options' certificate paths)."""

    name: str
    address: str
    options: tuple[tuple[str, str], ...] = ()

    def option(self, key: str) -> str | None:
        return dict(self.options).get(key)


@dataclass(frozen=True)
class PortalConfig:
    listen: str
    gateways: tuple[GatewaySpec, ...]
    trusted_proxies: tuple[str, ...]
    token_key_file: str
    nonce_db: str
    policy: str
    user_header: str = "X-Remote-User"
    session_minutes: int = 15
    secure_cookies: bool = True
    metrics_url: str | None = None

    @property
    def unix_socket(self) -> str | None:
        return self.listen.removeprefix("unix:") if self.listen.startswith("unix:") else None

    def trusts(self, host: str | None) -> bool:
        """Whether a request from ``host`` (None: the unix socket) comes from the proxy."""
        if self.unix_socket is not None:
            return "unix" in self.trusted_proxies
        if not host:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(
            p != "unix" and address in ipaddress.ip_network(p, strict=False)
            for p in self.trusted_proxies
        )


KEYS = {
    "listen", "gateways", "trusted_proxies", "user_header", "token_key_file", "nonce_db",
    "session_minutes", "policy", "secure_cookies", "metrics_url",
}  # fmt: skip
REQUIRED = ("listen", "gateways", "trusted_proxies", "token_key_file", "nonce_db", "policy")


def load_config(path: str) -> PortalConfig:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not YAML ({exc})") from None
    return config_from(data, path)


def config_from(data: Any, path: str = "<config>") -> PortalConfig:
    def bad(key: str, what: str) -> ConfigError:
        return ConfigError(f"{path}: {key}: {what}")

    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings")
    unknown = sorted(set(map(str, data)) - KEYS)
    if unknown:
        raise bad(unknown[0], f"unknown setting (known: {', '.join(sorted(KEYS))})")
    for key in REQUIRED:
        if key not in data:
            raise bad(key, "missing")
    for key in ("listen", "token_key_file", "nonce_db", "policy"):
        if not isinstance(data[key], str) or not data[key]:
            raise bad(key, "expected a path or address")
    gateways = data["gateways"]
    if not isinstance(gateways, list) or not gateways:
        raise bad("gateways", "expected a list of {name, address}")
    pairs: list[GatewaySpec] = []
    for entry in gateways:
        if (
            not isinstance(entry, dict)
            or not {"name", "address"} <= set(entry)
            or not set(entry) <= {"name", "address", *GATEWAY_OPTIONS}
        ):
            raise bad(
                "gateways",
                "each entry is {name: NAME, address: unix:/path} (cert, key, ca for tls:)",
            )
        name, address = entry["name"], entry["address"]
        if not isinstance(name, str) or not _NAME.match(name):
            raise bad("gateways", f"name {name!r}: lower-case letters, digits, '.', '_', '-'")
        if any(name == g.name for g in pairs):
            raise bad("gateways", f"name {name} appears twice")
        if not isinstance(address, str):
            raise bad("gateways", f"{name}: address must be text")
        options = tuple((k, entry[k]) for k in GATEWAY_OPTIONS if k in entry)
        if not all(isinstance(v, str) and v for _, v in options):
            raise bad("gateways", f"{name}: cert, key and ca are file paths")
        pairs.append(GatewaySpec(name, address, options))
    proxies = data["trusted_proxies"]
    if not isinstance(proxies, list) or not all(isinstance(p, str) for p in proxies):
        raise bad("trusted_proxies", "expected a list of addresses/CIDRs or 'unix'")
    for p in proxies:
        if p != "unix":
            try:
                ipaddress.ip_network(p, strict=False)
            except ValueError:
                raise bad("trusted_proxies", f"{p!r} is not an address, CIDR or 'unix'") from None
    header = data.get("user_header", "X-Remote-User")
    if not isinstance(header, str) or not _HEADER.match(header):
        raise bad("user_header", "expected a header name")
    minutes = data.get("session_minutes", 15)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 480:
        raise bad("session_minutes", "expected 1 to 480")
    secure = data.get("secure_cookies", True)
    if not isinstance(secure, bool):
        raise bad("secure_cookies", "expected true or false")
    metrics = data.get("metrics_url")
    if metrics is not None and not (isinstance(metrics, str) and metrics.startswith("http")):
        raise bad("metrics_url", "expected an http(s) URL")
    listen = data["listen"]
    if not listen.startswith("unix:") and ":" not in listen:
        raise bad("listen", "expected HOST:PORT or unix:/path")
    return PortalConfig(
        listen=listen,
        gateways=tuple(pairs),
        trusted_proxies=tuple(proxies),
        token_key_file=data["token_key_file"],
        nonce_db=data["nonce_db"],
        policy=data["policy"],
        user_header=header,
        session_minutes=minutes,
        secure_cookies=secure,
        metrics_url=metrics,
    )
