"""``postwarden web --config FILE``: the portal under uvicorn.

Reads the configuration (milter.portal.config), the link key and the policy before it listens:
a portal that cannot check links or roles does not start (exit 2, naming the file). It never
trusts forwarded-for headers (uvicorn's proxy_headers off): the peer is the TCP peer or the
unix socket, and milter.portal.app decides whether that is the configured proxy.
"""

from __future__ import annotations

import sys

from milter.policy import PolicyError, load_policy
from milter.portal.config import ConfigError, load_config


def run(config_path: str) -> int:
    import uvicorn

    from milter.portal.app import create_app

    try:
        config = load_config(config_path)
        load_policy(config.policy)
        app = create_app(config)
    except (ConfigError, PolicyError, ValueError) as exc:
        print(f"postwarden web: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"postwarden web: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    common = {"proxy_headers": False, "server_header": False, "access_log": False}
    if config.unix_socket is not None:
        uvicorn.run(app, uds=config.unix_socket, **common)  # type: ignore[arg-type]
    else:
        host, _, port = config.listen.rpartition(":")
        uvicorn.run(app, host=host.strip("[]"), port=int(port), **common)  # type: ignore[arg-type]
    return 0
