"""Run every benchmark: `python -m bench` (make bench). Optional argument: a name filter."""

import sys

from bench import (
    api,
    claim_lock,
    console,
    contests,
    exports,
    fraud,
    http,
    kpi,
    ledger,
    notifications,
    order_lock,
    reads,
    scale,
    shop,
)

BENCHMARKS = {"console": console.run, "ledger": ledger.run, "shop": shop.run, "exports": exports.run,
              "api": api.run, "contests": contests.run,
              "kpi": kpi.run, "fraud": fraud.run}


def main() -> None:
    if sys.argv[1:2] == ["scale"]:  # these take options: python -m bench scale --participants 10000
        scale.run(sys.argv[2:])
        return
    if sys.argv[1:2] == ["reads"]:  # python -m bench reads [scale database]
        reads.run(sys.argv[2:])
        return
    if sys.argv[1:2] == ["fraud"]:  # python -m bench fraud [--participants 100000 --cost-claims 1000000]
        fraud.run(sys.argv[2:])
        return
    if sys.argv[1:2] == ["notifications"]:  # python -m bench notifications [--people N] [--notifications N]
        notifications.run(sys.argv[2:])
        return
    if sys.argv[1:2] == ["claim_lock"]:  # python -m bench claim_lock [--claims 60] [--scan pdf|png]
        claim_lock.run(sys.argv[2:])
        return
    if sys.argv[1:2] == ["order-lock"]:  # python -m bench order-lock [--orders 200] [--statements]
        order_lock.run(sys.argv[2:])
        return
    if sys.argv[1:2] == ["http"]:  # python -m bench http [--seconds 10]
        http.run(sys.argv[2:])
        return
    wanted = sys.argv[1:] or list(BENCHMARKS)
    for name in wanted:
        BENCHMARKS[name]()


if __name__ == "__main__":
    main()
