"""Recruitment campaigns: the partner companies the program invites in bulk, the throttled invitations and
reminders, and the funnel from the invitation to the first sale and the first course (issue #25)."""
