"""Personal sales plans: a target per participant per period for a metric."""
