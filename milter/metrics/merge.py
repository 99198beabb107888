"""metrics.merge -- serve --workers N: the supervisor's metrics and its workers' as one set.

SYNOPSIS
    merged = CollectorRegistry()
    merged.register(MergedCollector(metrics.registry, multiprocess_dir))
    metrics.serve("127.0.0.1", 9797, registry=merged)

DESCRIPTION
    Each worker process writes its metrics to prometheus-client's multiprocess files in a
    private directory (PROMETHEUS_MULTIPROC_DIR); the supervisor has its own registry.
    MergedCollector gives one family per name, with the names, labels and help text a
    single process would export:

        counters, histograms   summed over the supervisor and every worker, dead ones too
                               (their files stay, so totals never go back)
        WORKER_GAUGES          the workers' values, combined by each gauge's
                               multiprocess_mode (livesum for connections)
        every other gauge      the supervisor's alone (the policy in force, the audit
                               checkpoint, domain states, accepted risks): a series it
                               removed (an old policy's sha256, a domain no longer listed)
                               then disappears, as in one process

    Only the supervisor's families are exported (every Metrics registers them all), so no
    family appears twice; a series only the workers have (a rule id or detector the
    supervisor never counted) joins its family, histogram buckets in order.

DIAGNOSTICS
    None of its own: what prometheus-client raises while reading the workers' files
    reaches the scrape.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

# Summed over the worker processes' files; every other gauge is the supervisor's own.
WORKER_GAUGES = frozenset({"postwarden_milter_connections"})


class MergedCollector(Collector):
    """The supervisor's own registry `own` plus its workers' multiprocess files in
    `directory`, as one set of families (see the module docstring)."""

    def __init__(self, own: CollectorRegistry, directory: str) -> None:
        self._own = own
        self._directory = directory

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.multiprocess import MultiProcessCollector

        files = MultiProcessCollector(None, self._directory)  # type: ignore[no-untyped-call]
        theirs: dict[str, Metric] = {m.name: m for m in files.collect()}  # type: ignore[no-untyped-call]
        for family in self._own.collect():
            other = theirs.get(family.name)
            if other is None or family.type not in ("counter", "histogram", "gauge"):
                yield family
            elif family.type != "gauge":
                yield _summed(family, other)
            elif family.name in WORKER_GAUGES and other.samples:
                merged = Metric(family.name, family.documentation, family.type)
                merged.samples = list(other.samples)
                yield merged
            else:
                yield family


def _summed(mine: Metric, theirs: Metric) -> Metric:
    """`mine` with the values of `theirs` added, sample by sample (name and labels)."""

    def key(sample: Sample) -> tuple[str, tuple[tuple[str, str], ...]]:
        return sample.name, tuple(sorted(sample.labels.items()))

    extra: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for sample in theirs.samples:
        extra[key(sample)] = extra.get(key(sample), 0.0) + sample.value
    merged = Metric(mine.name, mine.documentation, mine.type)
    for sample in mine.samples:
        merged.samples.append(sample._replace(value=sample.value + extra.pop(key(sample), 0.0)))
    by_labels: dict[tuple[tuple[str, str], ...], list[Sample]] = {}
    for sample in theirs.samples:  # series only the workers have, kept together per label set
        if key(sample) in extra:
            labels = tuple(sorted((k, v) for k, v in sample.labels.items() if k != "le"))
            by_labels.setdefault(labels, []).append(sample)
    for samples in by_labels.values():
        buckets = sorted(
            (s for s in samples if s.name.endswith("_bucket")),
            key=lambda s: float(s.labels.get("le", "inf")),
        )
        others = [s for s in samples if not s.name.endswith("_bucket")]
        merged.samples.extend([*buckets, *others])
    return merged
