"""history -- where the organisation's mail went: first contact per recipient domain and address."""
