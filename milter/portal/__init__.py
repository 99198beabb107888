"""The web portal for officers and senders, and what the gateways share with it."""
