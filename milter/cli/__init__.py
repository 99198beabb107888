"""The postwarden command line: one module per command group."""
