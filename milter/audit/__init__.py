"""The tamper-evident audit trail: hash-chained records, the writer and the verifier."""
