"""Run every benchmark: `python -m bench` (make bench). Optional argument: a name filter."""

import sys

from bench import api, console, contests, exports, kpi, ledger, shop

BENCHMARKS = {"console": console.run, "ledger": ledger.run, "shop": shop.run, "exports": exports.run,
              "api": api.run, "contests": contests.run,
              "kpi": kpi.run}


def main() -> None:
    wanted = sys.argv[1:] or list(BENCHMARKS)
    for name in wanted:
        BENCHMARKS[name]()


if __name__ == "__main__":
    main()
