"""The security officer's side: the hold queue, officer actions, sender notices, reports and
the transport map."""
