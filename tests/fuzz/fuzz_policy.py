"""Long policy fuzz (``make fuzz``): random damage to the example policy, many thousand times.

The random mutations of tests/reliability/test_policy_mutations.py (byte flips, truncations,
junk insertions, short deletions) at scale: each variant is refused with file:line:column
issues or loads a policy that differs only where the damage was.

Environment: FUZZ_POLICY_CASES (default 10000), FUZZ_SEED (default random; printed).
"""

from __future__ import annotations

import os
import random
from collections import Counter

from hypothesis import HealthCheck, given, seed, settings

from tests.reliability.policy_mutants import Mutant, judge, random_mutant

CASES = int(os.environ.get("FUZZ_POLICY_CASES", "10000"))
SEED = int(os.environ.get("FUZZ_SEED") or random.randrange(1 << 32))


class TestPolicyFuzzLong:
    def test_random_damage_is_refused_or_harmless(self) -> None:
        """Every damaged variant: positioned refusal, or no change beyond the damage."""
        seen: Counter[str] = Counter()

        @seed(SEED)
        @settings(max_examples=CASES, deadline=None, database=None, print_blob=True,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(mutant=random_mutant())
        def run(mutant: Mutant) -> None:
            verdict = judge(mutant)
            seen["loaded" if verdict.loaded else "refused"] += 1
            assert verdict.problems == ()

        run()
        print(f"seed {SEED}: {dict(seen)}")
