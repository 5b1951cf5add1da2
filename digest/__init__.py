"""The weekly digest: subscriptions with double opt-in, selection, e-mail, exactly-once sending."""
