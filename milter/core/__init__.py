"""The pure core: addresses, the decision (engine) and typed SMTP replies. No I/O here."""
