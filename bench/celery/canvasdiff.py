"""Runs random canvases on Celery and on Fugue and prints where the two differ.

usage: python canvasdiff.py [--seed S] [--n N] [--fails] [--links] [--maps]
                            [--retries] [--countdown] [--shapes] [--all]
                            [--timeout SECONDS] [--server URL]

Each canvas is built with Celery's own API (chain, group, chord, `|`) from
tasks.echo (which returns the args and kwargs it got, so a result shows
exactly what was passed where) and, with --fails, tasks.fail; nested up
to three deep. It is applied on Celery and waited for with get() (of the
result itself, not following parents, whose errors get() would raise
first: a failed chord would read as its header member's error or as
ChordError by a race), for --timeout seconds (30; past it, the error
get() raises from a parent is shown too), and its JSON (json.dumps of the signature, as a Python producer would send it)
is submitted to Fugue and waited for over HTTP. A canvas is printed when
the two outcomes differ: state and result, or state and error type.
Celery's own departures from the spec are among what it prints (README,
"Canvases"). Without the flags below a seed gives the canvas it always
gave. The flags add, each on top of the others:

  --links      link (tasks.echo with a tag, "L<seed>.<n>") and link_error
               (tasks.record_error, immutable with a tag "E<seed>.<n>" or taking the
               failed task's id) on any task or composite, through
               Celery's .link() and .link_error(), which push a group's
               down to its members and a chord's to its body. Every task
               the canvas ran under those names is compared too, as a
               sorted list of (name, state, result): on Celery, read from
               the result backend, which must then be a Redis database of
               its own that the worker writes with result_extended
               (BENCH_REDIS_BACKEND, BENCH_RESULT_EXTENDED=1 below; it is
               flushed before each canvas). A tasks.fail leaf gets a
               task_id, so an errback's {"failed": id} compares; another
               id (a chord body's) reads "?". The links of a chain written
               as the one element of a chain are left out (Celery drops
               them; see chained()).
  --maps       echo.map, echo.starmap, echo.chunks(...).group(), and
               with --fails fail.map, as leaves. Not a bare chunks: one
               directly in a group or a chord header is a documented
               departure (README), whose value Celery breaks.
  --retries    tasks.retry_once leaves (a retry 0.1 s later, result 1).
               Not with a max_retries option: the spec honours it, Celery
               5.7 does not (Task.retry reads the task's max_retries).
  --countdown  a countdown of 0.1 or 0.3 s on some tasks and composites.
  --shapes     more of the shapes random nesting rarely makes: a chain
               whose first element is a group, chords in a chord's
               header and body, immutable bodies.
  --all        all of them.

Needs, besides the venv bench/run.sh makes (.cache/bench-venv):

    redis-server --port 6379 --save '' &                  # or BENCH_REDIS=redis://...
    export BENCH_REDIS_BACKEND=redis://127.0.0.1:6379/1 BENCH_RESULT_EXTENDED=1   # for --links
    (cd bench/celery && ../../.cache/bench-venv/bin/celery -A tasks worker -c 2 -l warning) &
    go run ./cmd/engine dev --http 127.0.0.1:8080 --data "$(mktemp -d)" &
    .cache/bench-venv/bin/python bench/celery/canvasdiff.py --n 200
"""
import argparse
import json
import os
import random
import signal
import sys
import time
import urllib.error
import urllib.request
import uuid
import warnings
from datetime import datetime, timezone

from celery import chain, chord, group
from celery.exceptions import TimeoutError as CeleryTimeoutError
from celery.result import AsyncResult
from celery.canvas import _chain

sys.path.insert(0, os.path.dirname(__file__))
from tasks import app, echo, fail, record_error, retry_once  # noqa: E402

warnings.filterwarnings("ignore")  # chord.link_error's pending deprecation of task_allow_error_cb_on_chord_header


class Gen:
    """What a canvas is made of: the flags, a counter for tags and the task
    ids given to tasks.fail leaves."""

    def __init__(self, a, prefix, seed=0):
        self.a, self.prefix, self.seed = a, prefix, seed
        self.tags, self.fixed = 0, set()

    def tag(self, letter):
        """A callback's tag, "L<seed>.<n>": a callback that Celery runs late
        for another canvas (one it never finished) is not counted here."""
        self.tags += 1
        return f"{letter}{self.seed}.{self.tags}"

    def ours(self, name, result):
        """Whether a callback Celery ran belongs to this canvas."""
        if name == "tasks.echo":
            return True
        failed = str((result or {}).get("failed")) if isinstance(result, dict) else ""
        return failed in self.fixed or failed.startswith(f"E{self.seed}.") or not failed.startswith("E")

    def task_id(self):
        tid = f"{self.prefix}-f{len(self.fixed)}"
        self.fixed.add(tid)
        return tid


def extra_leaf(rng, g):
    a, k = g.a, rng.randint(0, 9)
    kinds = (["map", "starmap", "chunks-group"] if a.maps else []) + (["retry"] if a.retries else [])
    kind = rng.choice(kinds)
    if kind == "map":
        if a.fails and rng.random() < 0.2:
            return fail.map([k])
        return echo.map(list(range(rng.randint(0, 3))))
    if kind == "starmap":
        return echo.starmap([[i, k] for i in range(rng.randint(0, 3))])
    if kind == "chunks-group":
        return echo.chunks([[i] for i in range(rng.randint(1, 5))], rng.randint(1, 3)).group()
    return retry_once.s(k) if rng.random() < 0.5 else retry_once.si()


def leaf(rng, g):
    fails = g.a.fails
    if (g.a.maps or g.a.retries) and rng.random() < 0.25:
        return extra_leaf(rng, g)
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
        return fail.s().set(task_id=g.task_id()) if g.a.links else fail.s()
    if r < 0.85:
        return echo.si()
    return echo.s(k, k + 1)


def decorate(rng, g, sig):
    """Adds links, errbacks and countdowns as the flags ask."""
    if g.a.countdown and rng.random() < 0.1:
        sig = sig.set(countdown=rng.choice([0.1, 0.3]))
    if g.a.links:
        if rng.random() < 0.15:
            try:
                sig.link(echo.s(g.tag("L")))
            except IndexError:  # group.link links to the first member, so an empty group (or chord body) takes none
                pass
        if rng.random() < 0.2:
            sig.link_error(record_error.si(g.tag("E")) if rng.random() < 0.5 else record_error.s())
    return sig


def chained(*tasks):
    """chain(*tasks), less the links of a chain written directly inside it:
    Celery's prepare_steps splices such a chain and drops its options,
    links included, where the spec runs them once the chain succeeds (so
    chain(chain(a).on_error(e)) never runs e on Celery). Celery's `|` moves
    them onto the inner chain's tasks instead; only chain(c) keeps c."""
    c = chain(*tasks)
    for t in getattr(c, "tasks", ()):
        if isinstance(t, _chain):
            t.options.pop("link", None)
            t.options.pop("link_error", None)
    return c


def shape(rng, depth, g):
    kids = [canvas(rng, depth - 1, g) for _ in range(rng.randint(1, 3))]
    r = rng.random()
    if r < 0.4:  # a chain whose first element is a group: a chord
        return chained(group(*kids), *[canvas(rng, depth - 1, g) for _ in range(rng.randint(1, 2))])
    if r < 0.7:  # chords in the header and as the body
        inner = chord(kids, canvas(rng, depth - 2, g))
        return chord([inner, canvas(rng, depth - 1, g)], chord([leaf(rng, g)], leaf(rng, g)))
    return chord(kids, echo.si(rng.randint(0, 9)))  # an immutable body


def canvas(rng, depth, g):
    if depth <= 0 or rng.random() < 0.3:
        return decorate(rng, g, leaf(rng, g))
    if g.a.shapes and rng.random() < 0.25:
        return decorate(rng, g, shape(rng, depth, g))
    r = rng.random()
    kids = [canvas(rng, depth - 1, g) for _ in range(rng.randint(0, 3))]
    if r < 0.35:
        kids = kids or [leaf(rng, g)]
        if rng.random() < 0.5 and len(kids) > 1:  # as users write it: a | b | c
            s = kids[0]
            for k in kids[1:]:
                s = s | k
            return decorate(rng, g, s)
        return decorate(rng, g, chained(*kids))
    if r < 0.65:
        return decorate(rng, g, group(*kids))
    return decorate(rng, g, chord(kids, canvas(rng, depth - 1, g)))


def http(method, url, body=None):
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def is_callback(name, args, g):
    """Whether a task is one of the links or errbacks that --links adds to
    this canvas."""
    if name == "tasks.record_error":
        return True
    return name == "tasks.echo" and bool(args) and isinstance(args[-1], str) and args[-1].startswith(f"L{g.seed}.")


def callback(g, name, state, result):
    if state != "SUCCESS":
        result = None
    elif name == "tasks.record_error" and isinstance(result, dict) and result.get("failed") not in g.fixed \
            and not str(result.get("failed"))[:1] == "E":
        result = {"failed": "?"}
    return json.dumps([name, state, result], sort_keys=True)


def on_fugue(server, wire, g):
    status, body = http("POST", server + "/v1/workflows", wire)
    if status != 201:
        return ("REFUSED", status), []
    _, wf = http("GET", f"{server}/v1/workflows/{body['id']}?wait=30s")
    calls = sorted(callback(g, t["name"], t["state"], t.get("result"))
                   for t in wf.get("tasks") or [] if is_callback(t["name"], t.get("args"), g))
    if wf["state"] == "SUCCESS":
        return ("SUCCESS", wf["result"]), calls
    return (wf["state"], (wf.get("error") or {}).get("type")), calls


def celery_callbacks(backend, g, since):
    out = []
    for key in backend.scan_iter(b"celery-task-meta-*"):
        raw = backend.get(key)
        if raw is None:
            continue
        meta = json.loads(raw)
        done = meta.get("date_done")
        if done and datetime.fromisoformat(done).replace(tzinfo=timezone.utc).timestamp() < since:
            continue
        if is_callback(meta.get("name"), meta.get("args"), g) and g.ours(meta["name"], meta.get("result")):
            out.append(callback(g, meta["name"], meta["status"], meta.get("result")))
    return sorted(out)


def settle(broker, backend, g, since):
    """The callbacks Celery ran, once its queue is empty and they stop changing
    (a link is sent before its task's result is stored; an errback after)."""
    deadline, last, same = time.monotonic() + 5, None, 0
    while time.monotonic() < deadline:
        now = celery_callbacks(backend, g, since)
        idle = broker.llen("celery") == 0 and broker.hlen("unacked") == 0
        same = same + 1 if now == last and idle else 0
        if same >= 3:
            break
        last = now
        time.sleep(0.1)
    return last


class Hung(Exception):
    pass


def hung(signum, frame):
    raise Hung()


def on_celery(sig, timeout):
    # ResultSet.get() can wait on Redis's pub/sub past its timeout (a group
    # whose member never finishes), so an alarm ends the wait too.
    signal.signal(signal.SIGALRM, hung)
    signal.alarm(int(timeout * 2) + 5)
    try:
        return celery_outcome(sig, timeout)
    except Hung:
        return ("FAILURE", "TimeoutError (hung)")
    finally:
        signal.alarm(0)


def celery_outcome(sig, timeout):
    res = sig.apply_async()
    # An AsyncResult's get() raises the error of a failed parent first: a
    # chord's is its body's, whose parent is the header, so it would raise
    # the header member's error or the body's ChordError by a race. Wait for
    # the result itself.
    kw = {"follow_parents": False} if isinstance(res, AsyncResult) else {}
    try:
        return ("SUCCESS", json.loads(json.dumps(res.get(timeout=timeout, disable_sync_subtasks=False, **kw))))
    except CeleryTimeoutError:  # a canvas Celery never finishes; say what get() would raise from a parent
        try:
            res.get(timeout=0.5, disable_sync_subtasks=False)
        except Exception as e:
            return ("FAILURE", f"TimeoutError (parents: {type(e).__name__})")
        return ("FAILURE", "TimeoutError")
    except Exception as e:  # the task's error
        return ("FAILURE", type(e).__name__)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--fails", action="store_true", help="put tasks.fail among the leaves")
    ap.add_argument("--links", action="store_true", help="links and errbacks, and compare the callbacks that ran")
    ap.add_argument("--maps", action="store_true", help="map, starmap and chunks leaves")
    ap.add_argument("--retries", action="store_true", help="tasks.retry_once leaves")
    ap.add_argument("--countdown", action="store_true", help="countdowns on tasks and composites")
    ap.add_argument("--shapes", action="store_true", help="chains starting with a group, chords in chords")
    ap.add_argument("--all", action="store_true", help="every flag above")
    ap.add_argument("--timeout", type=float, default=30, help="seconds to wait for Celery's result")
    ap.add_argument("--server", default=os.environ.get("FUGUE_SERVER", "http://127.0.0.1:8080"))
    a = ap.parse_args()
    if a.all:
        a.fails = a.links = a.maps = a.retries = a.countdown = a.shapes = True
    broker = backend = None
    if a.links:
        import redis
        if app.conf.result_backend == app.conf.broker_url or not app.conf.result_extended:
            sys.exit("canvasdiff.py --links: set BENCH_REDIS_BACKEND to a Redis database of its own and "
                     "BENCH_RESULT_EXTENDED=1, for the worker too")
        broker, backend = redis.Redis.from_url(app.conf.broker_url), redis.Redis.from_url(app.conf.result_backend)
    run = uuid.uuid4().hex[:8]  # task ids differ from run to run: Fugue refuses one another workflow gave
    differ = 0
    for seed in range(a.seed, a.seed + a.n):
        g = Gen(a, f"{run}-{seed}", seed)
        sig = canvas(random.Random(seed), 3, g)
        wire = json.loads(json.dumps(sig))
        if backend is not None:
            backend.flushdb()
        since = time.time() - 1  # date_done is stored to the microsecond, in UTC; allow for clock rounding
        c = on_celery(sig, a.timeout)
        cc = settle(broker, backend, g, since) if backend is not None else []
        f, fc = on_fugue(a.server, wire, g)
        if not a.links:
            fc = []
        if (c, cc) != (f, fc):
            differ += 1
            print(f"seed {seed}\n  canvas: {json.dumps(wire)}\n  celery: {c}\n  fugue:  {f}", flush=True)
            if cc != fc:
                print(f"  celery callbacks: {cc}\n  fugue callbacks:  {fc}", flush=True)
    print(f"{a.n} canvases, {differ} differ")


if __name__ == "__main__":
    main()
