"""The audit log: an append-only record of what staff do and of sign-ins (who, when, from where, what)."""
