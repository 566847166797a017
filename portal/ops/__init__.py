"""Running the portal: the mail outbox, the worker's scheduled jobs and heartbeat, and background exports."""
