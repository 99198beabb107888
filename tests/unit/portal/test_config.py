"""The portal's configuration: every key checked, errors name the file and the key; whom the
portal trusts as its proxy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from milter.portal.config import ConfigError, GatewaySpec, config_from, load_config
from milter.portal.gateways import UnixGateway, gateway_from

GOOD: dict[str, Any] = {
    "listen": "127.0.0.1:8480",
    "gateways": [{"name": "gw1", "address": "unix:/run/postwarden-quarantine.sock"}],
    "trusted_proxies": ["127.0.0.1/32", "::1"],
    "token_key_file": "/etc/postwarden/link.key",
    "nonce_db": "/var/lib/postwarden-portal/nonces.sqlite",
    "policy": "/etc/postwarden/policy.yaml",
}


def test_a_good_file_loads_with_defaults(tmp_path: Path) -> None:
    """Header, session lifetime and secure cookies default to X-Remote-User, 15 min, on."""
    path = tmp_path / "web.yaml"
    path.write_text(
        "listen: 127.0.0.1:8480\ngateways: [{name: gw1, address: 'unix:/run/q.sock'}]\n"
        "trusted_proxies: [127.0.0.1]\ntoken_key_file: /k\nnonce_db: /n\npolicy: /p\n"
    )
    config = load_config(str(path))
    assert (config.user_header, config.session_minutes, config.secure_cookies) == (
        "X-Remote-User",
        15,
        True,
    )


@pytest.mark.parametrize(
    ("change", "text"),
    [
        ({"listn": "x"}, "listn: unknown setting"),
        ({"gateways": []}, "gateways: expected a list"),
        ({"gateways": [{"name": "GW 1", "address": "unix:/x"}]}, "name 'GW 1'"),
        ({"gateways": [{"name": "a", "address": "unix:/x"}] * 2}, "appears twice"),
        ({"trusted_proxies": ["everyone"]}, "'everyone' is not an address"),
        ({"user_header": "X Remote"}, "user_header"),
        ({"session_minutes": 0}, "session_minutes"),
        ({"secure_cookies": "yes"}, "secure_cookies"),
        ({"listen": "8480"}, "listen"),
    ],
)
def test_malformed_settings_are_named(change: dict[str, Any], text: str) -> None:
    """Each bad value is refused with the file and the key."""
    with pytest.raises(ConfigError, match=r"web\.yaml: ") as exc:
        config_from({**GOOD, **change}, "web.yaml")
    assert text in str(exc.value)


def test_missing_keys_are_named() -> None:
    """A required key that is absent is named."""
    data = dict(GOOD)
    del data["token_key_file"]
    with pytest.raises(ConfigError, match="token_key_file: missing"):
        config_from(data, "web.yaml")


def test_whom_the_portal_trusts() -> None:
    """TCP: only the listed addresses/networks; a unix socket: only with 'unix' listed."""
    tcp = config_from(GOOD)
    assert tcp.trusts("127.0.0.1") and tcp.trusts("::1")
    assert not tcp.trusts("127.0.0.2") and not tcp.trusts(None) and not tcp.trusts("testclient")
    unix = config_from({**GOOD, "listen": "unix:/run/web.sock", "trusted_proxies": ["unix"]})
    assert unix.trusts(None) and unix.unix_socket == "/run/web.sock"
    closed = config_from({**GOOD, "listen": "unix:/run/web.sock"})
    assert not closed.trusts(None)


def test_gateway_addresses() -> None:
    """unix:/path is a UnixGateway; other schemes are refused by name."""
    assert isinstance(gateway_from(GatewaySpec("gw1", "unix:/run/q.sock")), UnixGateway)
    with pytest.raises(ValueError, match=r"gateway gw2: address .tcp:1\.2\.3\.4:1."):
        gateway_from(GatewaySpec("gw2", "tcp:1.2.3.4:1"))


def test_gateway_options_are_kept_for_tls() -> None:
    """cert, key and ca ride along with a gateway (for the tls: channel); others are refused."""
    remote = {"name": "gw2", "address": "tls:gw2.example:8443", "cert": "/c", "key": "/k",
              "ca": "/ca"}  # fmt: skip
    (spec,) = config_from({**GOOD, "gateways": [remote]}).gateways
    assert (spec.option("cert"), spec.option("ca")) == ("/c", "/ca")
    with pytest.raises(ConfigError, match="cert, key, ca for tls"):
        config_from({**GOOD, "gateways": [{**remote, "password": "x"}]})


def test_the_shipped_example_loads() -> None:
    """deploy/web.yaml, what admins copy, is a valid configuration behind a unix socket."""
    root = Path(__file__).resolve().parents[3]
    config = load_config(str(root / "deploy" / "web.yaml"))
    assert config.unix_socket == "/run/postwarden-web/web.sock" and config.trusts(None)


def test_postwarden_web_refuses_to_start_without_what_it_needs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing link key or a bad file: exit 2 with the file named, nothing served."""
    from milter.cli.main import main

    root = Path(__file__).resolve().parents[3]
    config = tmp_path / "web.yaml"
    config.write_text(
        f"listen: 127.0.0.1:1\ngateways: [{{name: gw1, address: 'unix:/nonexistent'}}]\n"
        f"trusted_proxies: [127.0.0.1]\ntoken_key_file: {tmp_path}/none.key\n"
        f"nonce_db: {tmp_path}/n.sqlite\npolicy: {root}/policies/example.yaml\n"
    )
    assert main(["web", "--config", str(config)]) == 2
    assert f"{tmp_path}/none.key: No such file or directory" in capsys.readouterr().err
    config.write_text("listen: [1\n")
    assert main(["web", "--config", str(config)]) == 2
    assert f"{config}: not YAML" in capsys.readouterr().err
