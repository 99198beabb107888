"""Long fuzz and soak targets (``make fuzz``, ``make soak``); never collected by ``make test``.

Files here are named ``fuzz_*.py``/``soak_*.py`` so pytest only runs them when named on the
command line. They reuse the generators and checks of ``tests/reliability`` at a scale CI
cannot afford; sizes come from the environment (see each module).
"""
