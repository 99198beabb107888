"""The tamper-evident audit trail: what a record holds (records), the steps that render it
(processors), the hash-chained writer (trail) and the chain check (verify)."""
