"""`portal check`: every consistency check the program has, each a function returning findings in people's words.

runner.py holds the registry (CHECKS: add a check with one line) and runs them; consistency.py compares what
features keep (balances, scores, counters, actuals) with a rebuild from their sources without changing anything;
sources.py finds points credited without a source that justifies them; nightly.py is the worker's nightly run
that mails the program managers when something drifted.
"""
