"""Runs random canvases on Celery and on Fugue and prints where the two differ.

usage: python canvasdiff.py [--seed S] [--n N] [--fails] [--server URL]

Each canvas is built with Celery's own API (chain, group, chord, `|`) from
tasks.echo (which returns the args and kwargs it got, so a result shows
exactly what was passed where) and, with --fails, tasks.fail; nested up
to three deep. It is applied on Celery and waited for with get(), and its
JSON (json.dumps of the signature, as a Python producer would send it)
is submitted to Fugue and waited for over HTTP. A canvas is printed when
the two outcomes differ: state and result, or state and error type.
Celery's own departures from the spec are among what it prints (README,
"Canvases"). Needs, besides the venv bench/run.sh makes (.cache/bench-venv):

    redis-server --port 6379 --save '' &                  # or BENCH_REDIS=redis://...
    (cd bench/celery && ../../.cache/bench-venv/bin/celery -A tasks worker -c 2 -l warning) &
    go run ./cmd/engine dev --http 127.0.0.1:8080 --data "$(mktemp -d)" &
    .cache/bench-venv/bin/python bench/celery/canvasdiff.py --n 200
"""
import argparse
import json
import os
import random
import sys
import urllib.error
import urllib.request

from celery import chain, chord, group

sys.path.insert(0, os.path.dirname(__file__))
from tasks import echo, fail  # noqa: E402


def leaf(rng, fails):
    r, k = rng.random(), rng.randint(0, 9)
    if r < 0.40:
        return echo.s(k)
    if r < 0.55:
        return echo.si(k)
    if r < 0.65:
        return echo.s(k, kw=k)
    if r < 0.75:
        return echo.s()
    if r < 0.80 and fails:
        return fail.s()
    if r < 0.85:
        return echo.si()
    return echo.s(k, k + 1)


def canvas(rng, depth, fails):
    if depth <= 0 or rng.random() < 0.3:
        return leaf(rng, fails)
    r = rng.random()
    kids = [canvas(rng, depth - 1, fails) for _ in range(rng.randint(0, 3))]
    if r < 0.35:
        kids = kids or [leaf(rng, fails)]
        if rng.random() < 0.5 and len(kids) > 1:  # as users write it: a | b | c
            s = kids[0]
            for k in kids[1:]:
                s = s | k
            return s
        return chain(*kids)
    if r < 0.65:
        return group(*kids)
    return chord(kids, canvas(rng, depth - 1, fails))


def http(method, url, body=None):
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def on_fugue(server, wire):
    status, body = http("POST", server + "/v1/workflows", wire)
    if status != 201:
        return ("REFUSED", status)
    _, wf = http("GET", f"{server}/v1/workflows/{body['id']}?wait=30s")
    if wf["state"] == "SUCCESS":
        return ("SUCCESS", wf["result"])
    return (wf["state"], (wf.get("error") or {}).get("type"))


def on_celery(sig):
    res = sig.apply_async()
    try:
        return ("SUCCESS", json.loads(json.dumps(res.get(timeout=30, disable_sync_subtasks=False))))
    except Exception as e:  # the task's error, or TimeoutError for a canvas Celery never finishes
        return ("FAILURE", type(e).__name__)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--fails", action="store_true", help="put tasks.fail among the leaves")
    ap.add_argument("--server", default=os.environ.get("FUGUE_SERVER", "http://127.0.0.1:8080"))
    a = ap.parse_args()
    differ = 0
    for seed in range(a.seed, a.seed + a.n):
        sig = canvas(random.Random(seed), 3, a.fails)
        wire = json.loads(json.dumps(sig))
        c, f = on_celery(sig), on_fugue(a.server, wire)
        if c != f:
            differ += 1
            print(f"seed {seed}\n  canvas: {json.dumps(wire)}\n  celery: {c}\n  fugue:  {f}", flush=True)
    print(f"{a.n} canvases, {differ} differ")


if __name__ == "__main__":
    main()
