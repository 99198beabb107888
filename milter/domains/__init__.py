"""domains -- is a recipient domain still ours, does it exist, does it only look like ours?

    model      frozen values: Expectation, DnsSettings, Answer, DomainFacts, LookalikeMatch;
               host patterns and nameserver syntax
    ownership  pure: which domains a message asks DNS about; answers + expectation -> facts
    dns        I/O: Resolver (dnspython, cache, budgets, concurrency bound) and gather()
    lookalike  pure: LookalikeIndex, built once per policy load
    watch      audit_domains() for the CLI and the background DomainWatcher

The engine only ever sees DomainFacts and LookalikeMatch values: DNS is asked before it runs.
"""
