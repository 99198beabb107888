"""Postwarden: an outbound mail policy filter that runs as a Postfix milter.

The package is split by job, as Postfix splits its daemons (README: Architecture):

- ``core``      addresses, ``decide(envelope, facts, policy) -> Decision`` (pure), typed replies
- ``protocol``  the milter protocol's codec (the only importer of python-libmilter)
- ``server``    sessions, listeners, the watchdog, the daemon set-up, ``--workers``
- ``policy``    YAML policy file -> frozen, typed ``Policy`` (strict, file:line:column errors)
- ``domains``   DNS facts, ownership, lookalikes, the domain watch
- ``content``   the content scanner: MIME walk, formats, detectors
- ``audit``     the hash-chained audit trail and its verifier
- ``metrics``   Prometheus metrics
- ``officer``   hold queue, officer actions, sender notices, reports, transport map
- ``cli``       the ``postwarden`` command
"""

__version__ = "0.1.0"
