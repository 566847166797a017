"""Notifications in the portal (the bell and its page) and the mail people choose to receive (categories,
one-click unsubscribe, marketing consent, the weekly digest)."""
