"""Runs one workload on Celery and prints one JSON line (see bench/run.sh).

usage: python bench.py group|chord|chain|many N
Latencies come from the result backend's date_done (UTC, microseconds).
get(follow_parents=False): with the default, a chord's get() re-checks all
10,000 header results on every drain loop and the client spins for minutes
at 100% CPU after the workers finished (seen here with Celery 5.7.0)."""
import json
import os
import sys
import time
from datetime import datetime, timezone

import redis
from celery import chain, chord, group

sys.path.insert(0, os.path.dirname(__file__))
from tasks import add, app, tsum  # noqa: E402

TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "900"))


def done_at(res):
    d = res.date_done
    if d is None:
        return None
    if isinstance(d, str):
        d = datetime.fromisoformat(d)
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return d.timestamp()


def pct(xs, p):
    if not xs:
        return 0
    xs = sorted(xs)
    return xs[int(p * (len(xs) - 1))]


def commands(r):
    return r.info("stats")["total_commands_processed"]


def main():
    kind, n = sys.argv[1], int(sys.argv[2])
    r = redis.Redis.from_url(os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0"))
    c0 = commands(r)
    out = {"system": "celery", "workload": kind, "n": n}
    t0 = time.time()
    if kind in ("group", "chord"):
        g = group(add.s(i, i) for i in range(n))
        if kind == "group":
            res = g.apply_async()
            val = res.get(timeout=TIMEOUT, disable_sync_subtasks=False)
            assert val == [2 * i for i in range(n)], "wrong group result"
            members, ntasks = res.results, n
        else:
            res = chord(g, tsum.s()).apply_async()
            val = res.get(timeout=TIMEOUT, disable_sync_subtasks=False, follow_parents=False)
            assert val == n * (n - 1), f"chord result {val}"
            members, ntasks = list(res.parent.results) + [res], n + 1
        wall = time.time() - t0
        dones = [done_at(m) for m in members]
        e2e = [(d - t0) * 1000 for d in dones if d]
        out.update(task_e2e_p50_ms=pct(e2e, .5), task_e2e_p99_ms=pct(e2e, .99))
    elif kind == "chain":
        sig = chain(add.s(0, 1), *[add.s(1) for _ in range(n - 1)])
        res = sig.apply_async()
        val = res.get(timeout=TIMEOUT, disable_sync_subtasks=False, follow_parents=False)
        assert val == n, f"chain result {val}"
        wall = time.time() - t0
        ntasks = n
        rs, node = [], res
        while node is not None:
            rs.append(node)
            node = node.parent
        dones = sorted(d for d in (done_at(x) for x in rs) if d)
        hops = [(b - a) * 1000 for a, b in zip(dones, dones[1:])]
        out.update(hop_p50_ms=pct(hops, .5), hop_p99_ms=pct(hops, .99), hops=len(hops))
    elif kind == "many":
        # a fresh signature per workflow: apply_async freezes a signature,
        # and a reused one would hand every workflow the same task ids
        def small():
            return chain(add.s(1, 1), add.s(1), add.s(1), chord([add.s(i) for i in range(10)], tsum.s()))

        subs = []
        for _ in range(n):
            sig = small()
            subs.append((time.time(), sig.apply_async()))
        lat = []
        for st, res in subs:
            val = res.get(timeout=TIMEOUT, disable_sync_subtasks=False, follow_parents=False)
            assert val == 85, f"workflow result {val}"
            d = done_at(res)
            lat.append((d - st) * 1000)
        wall = time.time() - t0
        ntasks = 14 * n
        out.update(wf_events_p50_ms=pct(lat, .5), wf_events_p99_ms=pct(lat, .99), workflows=n)
    else:
        raise SystemExit(f"unknown workload {kind}")
    out.update(tasks=ntasks, wall_s=wall, tasks_per_s=ntasks / wall,
               redis_commands_per_task=(commands(r) - c0) / ntasks)
    if kind != "many":
        out.update(wf_client_p50_ms=wall * 1000, wf_client_p99_ms=wall * 1000)
    print(json.dumps(out), flush=True)
    os._exit(0)  # skip result-handle teardown noise at interpreter exit


if __name__ == "__main__":
    main()
