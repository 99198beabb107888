"""Postwarden: an outbound mail policy filter that runs as a Postfix milter.

The package is split by job, as Postfix splits its daemons:

- ``address``   parse and normalise envelope addresses and domain names (pure)
- ``policy``    YAML policy file -> frozen, typed ``Policy`` (strict, with file:line:column errors)
- ``engine``    ``decide(envelope, facts, policy) -> Decision`` (pure: no I/O, no clock)
- ``verdict``   typed SMTP replies: a reject carries 5xx, a tempfail 4xx
- ``adapter``   the only module that speaks the milter protocol (python-libmilter)
- ``cli``       the ``postwarden`` command
"""

__version__ = "0.1.0"
