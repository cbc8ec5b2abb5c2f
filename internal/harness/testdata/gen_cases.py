#!/usr/bin/env python3
"""Writes fugue.jsonl: Fugue's own canvas conformance cases, in the form of
../shared/conformance/cases.jsonl (run.py reads them too). The canvases are
Celery's JSON wire form; the expectations follow spec/canvas-json.md.
The frozen cases are Celery's own output, so Celery 5 must be installed:
  python3 -m venv /tmp/celery && /tmp/celery/bin/pip install celery
  /tmp/celery/bin/python gen_cases.py > fugue.jsonl
"""
import json
import sys
import uuid


def sig(task, *args, kwargs=None, options=None, immutable=False, subtask_type=None):
    return {"task": task, "args": list(args), "kwargs": kwargs or {}, "options": options or {},
            "subtask_type": subtask_type, "immutable": immutable}


def s(task, *args, **kw):
    return sig("tasks." + task, *args, **kw)


def si(task, *args, **kw):
    return sig("tasks." + task, *args, immutable=True, **kw)


def chain(*tasks, options=None, args=()):
    return sig("celery.chain", *args, kwargs={"tasks": list(tasks)}, options=options, subtask_type="chain")


def group(*tasks, options=None, args=()):
    return sig("celery.group", *args, kwargs={"tasks": list(tasks)}, options=options, subtask_type="group")


def chord(header, body, options=None, args=()):
    return sig("celery.chord", *args, kwargs={"header": list(header), "body": body, "kwargs": {}},
               options=options, subtask_type="chord")


def xmap(task, it):
    return sig("celery.map", kwargs={"task": task, "it": it}, subtask_type="xmap")


def starmap(task, it):
    return sig("celery.starmap", kwargs={"task": task, "it": it}, subtask_type="xstarmap")


def chunks(task, it, n):
    return sig("celery.chunks", kwargs={"task": task, "it": it, "n": n}, subtask_type="chunks")


cases = []


def frozen_cases():
    """Canvases as Celery 5 serialises them once frozen (what apply_async
    sends): every signature carries a task_id, a chain the id of its last
    task, a chord that of its header group, so a composite shares its id
    with a node below it. They are Celery's own output: the task ids come
    from a counter instead of uuid4, so that the file is the same at every
    run and no two cases name one id."""
    try:
        import celery
        import celery.canvas
    except ImportError:
        sys.exit("gen_cases.py: the frozen cases are Celery's own output: run it with Celery 5 installed")
    from celery import Celery, chain as c_chain, chord as c_chord, group as c_group

    # A backend that supports chords: freezing a chord asks for one.
    app = Celery("tasks", backend="cache+memory://", set_as_current=False)
    app._local.oid = str(uuid.uuid5(uuid.NAMESPACE_URL, "fugue-conformance/reply-to"))
    counter = iter(range(1, 1 << 30))
    celery.canvas.uuid = lambda: str(uuid.uuid5(uuid.NAMESPACE_URL, "fugue-conformance/frozen/%d" % next(counter)))

    def task(name):
        def run(*args):  # never run: the harness's workers have the tasks
            raise NotImplementedError
        return app.task(name="tasks." + name, shared=False)(run)

    add, mul, tsum = task("add"), task("mul"), task("tsum")

    def frozen(name, sig, **expect):
        sig.freeze()
        case("frozen by Celery: " + name, json.loads(json.dumps(sig)), **expect)

    frozen("chain, with its last task's id", c_chain(add.s(2, 2), mul.s(8)),
           state="SUCCESS", result=32)
    frozen("chord, with its header group's id", c_chord([add.s(1, 1), add.s(2, 2)], tsum.s()),
           state="SUCCESS", result=6)
    frozen("group", c_group(add.s(1, 1), add.s(2, 2)),
           state="SUCCESS", result=[2, 4])
    frozen("chain ending in a chord, with the chord body's id", c_chain(add.s(1, 1), c_chord([add.s(1), mul.s(2)], tsum.s())),
           state="SUCCESS", result=7)
    frozen("chord then task, three signatures with one id", c_chain(c_chord([add.s(1, 1), mul.s(2, 2)], tsum.s()), mul.s(3)),
           state="SUCCESS", result=18)
    frozen("group of chains", c_group(c_chain(add.s(1, 1), mul.s(2)), c_chain(add.s(2, 2), mul.s(3))),
           state="SUCCESS", result=[4, 12])
    frozen("chord with a chain body", c_chord([add.s(1, 1), add.s(2, 2)], c_chain(tsum.s(), mul.s(2))),
           state="SUCCESS", result=12)
    frozen("chord as a chord body", c_chord([add.s(1, 1)], c_chord([tsum.s(), tsum.s()], tsum.s())),
           state="SUCCESS", result=4)
    frozen("chain ending in a group, with the group's id", c_chain(add.s(1, 1), c_group(mul.s(2), mul.s(3))),
           state="SUCCESS", result=[4, 6])
    frozen("group then task, a chord", c_chain(c_group(add.s(1, 1), add.s(2, 2)), tsum.s()),
           state="SUCCESS", result=6, task={"name": "tasks.tsum", "args": [[2, 4]], "result": 6})


def case(name, canvas, **expect):
    cases.append({"name": name, "canvas": canvas, "expect": expect})


# Splicing, unrolling, upgrading.
case("group in group is spliced in order",
     group(s("identity", 1), group(s("identity", 2), s("identity", 3)), s("identity", 4)),
     state="SUCCESS", result=[1, 2, 3, 4])
case("group in chord header is spliced in order",
     chord([s("identity", 1), group(s("identity", 2), s("identity", 3))], s("identity")),
     state="SUCCESS", result=[1, 2, 3])
# canvasdiff seed 9839: Celery's group._freeze_unroll (stack.extendleft)
# reverses a group nested in a chord header, here [4, [0, 1, 2], 10].
case("group in chord header after a retried task keeps its order around a map",
     chain(si("retry_once"),
           chord([group(s("add", 9), dict(xmap(s("identity"), [0, 1, 2]), immutable=True), s("add", 3))],
                 s("identity"))),
     state="SUCCESS", result=[10, [0, 1, 2], 4])
case("one-member group in a chain is unrolled",
     chain(s("add", 1, 1), group(s("add", 10)), s("mul", 2)),
     state="SUCCESS", result=24)
case("empty group in a chain is dropped",
     chain(s("add", 1, 1), group(), s("mul", 3)),
     state="SUCCESS", result=6)
case("group then group is a chord with a group body",
     chain(group(s("add", 1, 1), s("add", 2, 2)), group(s("identity"), s("xsum"))),
     state="SUCCESS", result=[[2, 4], 6])
case("result into a group reaches every member and a member chain's first task",
     chain(s("add", 1, 1), group(s("add", 10), s("mul", 10), chain(s("add", 100), s("mul", 2)))),
     state="SUCCESS", result=[12, 20, 204])
case("chain inside a group keeps its list result as one element",
     group(chain(s("identity", [1, 2])), s("identity", 3)),
     state="SUCCESS", result=[[1, 2], 3])
# Celery 5.7's prepare_steps hands a chain's partial args to its first step
# as task.clone(args), and group.clone (group.from_dict) drops them: a chain
# led by a group of two loses a chord's header list there, or a result that
# a group passes to it (canvasdiff.py --all, seed 9952; README, "Canvases").
case("a chord body that is a chain led by a group passes the header's list to every member",
     chord([s("add", 1, 1), s("add", 2, 2)], chain(group(s("echo", 1), s("echo", 2)))),
     state="SUCCESS", result=[{"args": [[2, 4], 1], "kwargs": {}}, {"args": [[2, 4], 2], "kwargs": {}}])
case("a chain led by a group, in a group that gets a result, passes it to every member",
     chain(s("add", 1, 1), group(chain(group(s("add", 10), s("mul", 10))), s("add", 100))),
     state="SUCCESS", result=[[12, 20], 102])
case("a chord's group body passes its whole list on in a chain",
     chain(chord([s("add", 1, 1), s("add", 2, 2)], group(s("tsum"), s("identity"))), s("xsum")),
     state="SUCCESS", result=12)
# Celery 5.7 runs the rest of the chain once per member of such a group body,
# with that member's result alone, under the same task ids: a link in it
# runs once per member (canvasdiff.py --all, seed 9083; README, "Canvases").
case("after a chord's group body the next chord's header link runs on the whole list",
     chain(chord([s("add", 1, 1), s("add", 2, 2)], group(s("tsum"), s("xsum"))),
           chord([s("xsum", options={"link": s("mul", 10)})], s("tsum"))),
     state="SUCCESS", result=12, task={"name": "tasks.mul", "args": [12, 10], "result": 120})
case("after an empty-header chord's group body the next chord's header link runs on the whole list",
     chain(chord([], group(s("echo", 1), s("echo", 2))),
           chord([s("echo", options={"link": s("echo", "L")})], s("identity"))),
     state="SUCCESS",
     result=[{"args": [[{"args": [[], 1], "kwargs": {}}, {"args": [[], 2], "kwargs": {}}]], "kwargs": {}}],
     task={"name": "tasks.echo", "args": [
         {"args": [[{"args": [[], 1], "kwargs": {}}, {"args": [[], 2], "kwargs": {}}]], "kwargs": {}}, "L"]})
case("chord then task extends the body",
     chain(chord([s("add", 1, 1), s("add", 2, 2)], s("tsum")), s("mul", 10)),
     state="SUCCESS", result=60)
case("chord with an empty header runs its body with []",
     chord([], s("echo")),
     state="SUCCESS", result={"args": [[]], "kwargs": {}})
case("empty group succeeds with []", group(), state="SUCCESS", result=[])
case("chord inside a chord header",
     chord([chord([s("add", 1, 1), s("add", 2, 2)], s("tsum")), s("identity", 10)], s("tsum")),
     state="SUCCESS", result=16)
case("chord as a chord body",
     chord([s("add", 1, 1), s("add", 2, 2)], chord([s("tsum"), s("xsum")], s("tsum"))),
     state="SUCCESS", result=12)
case("group of chords",
     group(chord([s("add", 1, 1)], s("tsum")), chord([s("add", 2, 2), s("add", 3, 3)], s("tsum"))),
     state="SUCCESS", result=[2, 10])
case("chain of chords passes each result on",
     chain(chord([s("add", 1, 1), s("add", 2, 2)], s("tsum")),
           chord([s("add", 10), s("mul", 10)], s("tsum"))),
     state="SUCCESS", result=76)
case("chain args are partial args of its first task",
     chain(s("add", 4), s("mul", 2), args=(6,)),
     state="SUCCESS", result=20)
case("group args reach every member",
     group(s("add", 1), s("mul", 3), args=(5,)),
     state="SUCCESS", result=[6, 15])
case("immutable member of a receiving group ignores the input",
     chain(s("add", 1, 1), group(si("identity", 7), s("identity"))),
     state="SUCCESS", result=[7, 2])
case("a result is prepended and the partial kwargs kept",
     chain(s("echo", 1), s("echo", kwargs={"k": 1})),
     state="SUCCESS", result={"args": [{"args": [1], "kwargs": {}}], "kwargs": {"k": 1}})

# Types stay what they were.
case("floats stay floats", chain(s("add", 1.5, 2.5), s("mul", 2)), state="SUCCESS", result=8.0)
case("int and float make a float", s("add", 2, 2.0), state="SUCCESS", result=4.0)
case("strings concatenate", s("add", "foo", "bar"), state="SUCCESS", result="foobar")
case("lists concatenate", s("add", [1], [2, 3]), state="SUCCESS", result=[1, 2, 3])
case("nested values pass through", s("identity", {"a": [1, 2.5, None, True, "x", {"b": []}]}),
     state="SUCCESS", result={"a": [1, 2.5, None, True, "x", {"b": []}]})

# Map, starmap, chunks.
case("starmap over pairs", starmap(s("mul"), [[1, 2], [3, 4]]), state="SUCCESS", result=[2, 12])
# Celery's xmap calls the task type, not the signature: partial args are
# not applied, so add with one element is missing an argument.
case("map ignores the inner signature's partial args", xmap(s("add", 10), [1]),
     state="FAILURE", error_type="TypeError")
case("map with one-argument task", xmap(s("identity"), [1, "a", [2]]), state="SUCCESS", result=[1, "a", [2]])
case("chunks with a ragged tail", chunks(s("add"), [[i, i] for i in range(5)], 2),
     state="SUCCESS", result=[[0, 2], [4, 6], [8]])
case("chunks into a chord body",
     chain(chunks(s("add"), [[i, i] for i in range(4)], 2), s("xsum")),
     state="SUCCESS", result=12)

# Failures.
case("group fails with its first failed member's error",
     group(s("add", 1, 1), s("fail"), s("fail", 2)),
     state="FAILURE", error_type="ExpectedException")
case("chord error names the first failed member in header order",
     chord([s("add", 1, 1), s("fail"), s("fail", 2)], s("tsum")),
     state="FAILURE", error_type="ChordError",
     error_contains="raised ExpectedException('Task expected to fail')")
case("a failed chord's body never runs",
     chord([s("fail")], s("tsum")),
     state="FAILURE", error_type="ChordError",
     task={"name": "tasks.tsum", "state": "FAILURE"})
case("chain after a failed chord stops",
     chain(chord([s("fail")], s("tsum")), s("add", 1)),
     state="FAILURE", error_type="ChordError")
# Celery 5.7 stores this ChordError under the chain's id alone (its group's)
# and never fails the group's members, so the chord's GroupResult never
# finishes; the errback runs there too, once, with the group's id
# (canvasdiff.py --all, seed 9614; README, "Canvases").
case("a chord whose body is a chain ending in a group fails with ChordError when a header member fails",
     chord([s("fail"), s("add", 1, 1)],
           chain(s("tsum"), group(s("add", 1), s("mul", 2), options={"task_id": "body-group"}),
                 options={"link_error": s("record_error")})),
     state="FAILURE", error_type="ChordError",
     task={"name": "tasks.record_error", "args": ["body-group"], "state": "SUCCESS"})
# Celery 5.7's prepare_steps rewrites a chord step of a chain whose body is
# a chain led by a task, chord([..], chain(b, c)), as chord([..], b), c
# (chord._unroll_body, which copies the chain's errbacks onto b and c): when
# a header member fails, chord_error_from_stack fails b as the body and runs
# b's errbacks, the chain's among them, with b's id, though b never ran
# (canvasdiff.py --links --fails --shapes, seeds 9733, 9746; README,
# "Canvases"). The body chain's own errback runs once, with the chain's id.
case("a chord in a chain whose body is a chain runs the body chain's errback with the chain's id "
     "when a header member fails",
     chain(chord([s("fail"), s("add", 1, 1)],
                 chain(s("tsum", options={"task_id": "body-first"}), s("mul", 2, options={"task_id": "body-last"}),
                       options={"link_error": s("record_error")}))),
     state="FAILURE", error_type="ChordError",
     task={"name": "tasks.record_error", "args": ["body-last"], "state": "SUCCESS"})
case("not registered fails that task",
     s("nope", 1), state="FAILURE", error_type="NotRegistered")
case("map of an unknown task fails",
     xmap(s("nope"), [1]), state="FAILURE", error_type="NotRegistered")
case("type errors fail like Python",
     s("add", 1, "a"), state="FAILURE", error_type="TypeError")

# Callbacks and errbacks.
case("link list runs every callback with the result",
     s("add", 2, 2, options={"link": [s("mul", 2), s("identity")]}),
     state="SUCCESS", result=4, task={"name": "tasks.mul", "args": [4, 2], "result": 8})
case("immutable link ignores the result",
     s("add", 2, 2, options={"link": si("identity", "done")}),
     state="SUCCESS", result=4, task={"name": "tasks.identity", "args": ["done"], "result": "done"})
case("errback gets the failed task id",
     s("fail", options={"task_id": "failing-task", "link_error": s("record_error")}),
     state="FAILURE", error_type="ExpectedException",
     task={"name": "tasks.record_error", "args": ["failing-task"], "result": {"failed": "failing-task"}})
case("errback of a failed chord gets the body id, once",
     chord([s("fail")], s("tsum", options={"task_id": "the-body", "link_error": s("record_error")})),
     state="FAILURE", error_type="ChordError",
     task={"name": "tasks.record_error", "args": ["the-body"], "state": "SUCCESS"})
case("link on a chain runs once with the chain's result",
     chain(s("add", 1, 1), s("mul", 5), options={"link": s("identity")}),
     state="SUCCESS", result=10, task={"name": "tasks.identity", "args": [10], "result": 10})
case("link on a group gets the list",
     group(s("add", 1, 1), s("add", 2, 2), options={"link": s("xsum")}),
     state="SUCCESS", result=[2, 4], task={"name": "tasks.xsum", "args": [[2, 4]], "result": 6})
case("link on a chord gets the body's result",
     chord([s("add", 1, 1), s("add", 2, 2)], s("tsum"), options={"link": s("mul", 3)}),
     state="SUCCESS", result=6, task={"name": "tasks.mul", "args": [6, 3], "result": 18})
case("link on a chord with a group body gets the body's list, once",
     chord([s("add", 1, 1), s("add", 2, 2)], group(s("tsum"), s("identity")), options={"link": s("xsum")}),
     state="SUCCESS", result=[6, [2, 4]], task={"name": "tasks.xsum", "args": [[6, [2, 4]]], "result": 12})
case("link of a link runs too",
     s("add", 1, 1, options={"link": s("add", 1, options={"link": s("mul", 10)})}),
     state="SUCCESS", result=2, task={"name": "tasks.mul", "args": [3, 10], "result": 30})
case("errback on a chain runs with the failing task's id",
     chain(s("add", 1, 1), s("fail", options={"task_id": "chain-fail"}), options={"link_error": s("record_error")}),
     state="FAILURE", error_type="ExpectedException",
     task={"name": "tasks.record_error", "args": ["chain-fail"]})

# Retries, progress, time.
case("retry once counts one retry", s("retry_once"), state="SUCCESS", result=1, retries=1)
case("retry exhausted with max_retries 0 fails",
     s("retry_once", options={"max_retries": 0}), state="FAILURE", error_type="MaxRetriesExceededError")
case("progress reports then succeeds", s("progress", 3), state="SUCCESS", result=3)
case("countdown delays the task", s("add", 1, 2, options={"countdown": 1}),
     state="SUCCESS", result=3, min_seconds=1)
case("same task_id twice is one workflow",
     s("add", 1, 1, options={"task_id": "idempotent-root"}),
     state="SUCCESS", result=2, submit_twice=True)

# Refused whole.
case("refused: unknown subtask_type", sig("x", subtask_type="nope"), http_status=400)
case("refused: args not a list", {"task": "tasks.add", "args": 3}, http_status=400)
case("refused: missing task", {"args": [1]}, http_status=400)
case("refused: chunks n below 1", chunks(s("add"), [[1, 1]], 0), http_status=400)
case("refused: bad member deep inside",
     chain(s("add", 1, 1), group(s("add", 1), {"task": "tasks.add", "kwargs": []})), http_status=400)

# Unrolling counts the members a group was written with.
case("a group in a chain written with two members, one an empty group, is kept, "
     "as Celery's maybe_unroll_group counts written members",
     chain(s("add", 1, 1), group(group(), s("add", 10))),
     state="SUCCESS", result=[12])
case("a group in a chain written with one member group of two stays a group of two",
     chain(s("add", 1, 1), group(group(s("add", 10), s("add", 20)))),
     state="SUCCESS", result=[12, 22])

# Options on a composite pass down (Celery 5.7's canvas.py), and a negative
# countdown runs at once.
case("countdown on a group delays every member",
     group(s("add", 1, 2), s("add", 3, 4), options={"countdown": 1}),
     state="SUCCESS", result=[3, 7], min_seconds=1)
case("max_retries on a chain reaches its first task",
     chain(s("retry_once"), s("add", 1), options={"max_retries": 0}),
     state="FAILURE", error_type="MaxRetriesExceededError")
case("a negative countdown runs the task at once",
     s("add", 1, 2, options={"countdown": -1}),
     state="SUCCESS", result=3)
# Celery's apply_async raises OverflowError for a countdown or an expires
# that takes the task past Python's datetime.max (now + timedelta), and
# ValueError for one below -2147483648.
case("refused: a countdown past Python's datetime.max",
     chain(s("add", 1, 1), s("add", 2, options={"countdown": 1e20})), http_status=400)
case("refused: an expires past Python's datetime.max",
     group(s("add", 1, 1, options={"expires": 300000000000})), http_status=400)
case("refused: an expires below -2147483648",
     s("add", 1, 1, options={"expires": -2147483649}), http_status=400)
# An expiry in the past expires the task, even one before 1970, which
# Celery allows (68 years back from now, or an ISO time of any year).
case("an expires in seconds before 1970 expires the task",
     s("add", 1, 1, options={"expires": -2147483648}),
     state="REVOKED", error_type="TaskRevokedError")
case("an expires before 1970 as a time expires the task",
     s("add", 1, 1, options={"expires": "1960-01-01T00:00:00"}),
     state="REVOKED", error_type="TaskRevokedError")

# Found by an audit against Celery 5.7.0: a chunks as Celery writes it
# (immutable, subtask_type null) takes no input and is never unrolled or
# dropped in a chain, nor spliced into a group or a chord header (its
# result, the list of its parts' results, is one element there, as
# group._prepared splices only real groups); a group with options inside
# a group or a chord header is spliced in all the same.
def celery_chunks(task, it, n):
    return sig("celery.chunks", kwargs={"task": task, "it": it, "n": n}, immutable=True)


case("a chunks of one part in a chain is not unrolled and takes no input",
     chain(s("add", 1, 1), celery_chunks(s("add"), [[1, 2]], 1), s("echo")),
     state="SUCCESS", result={"args": [[[3]]], "kwargs": {}})
case("a chunks in a group that gets a result takes none of it",
     chain(s("add", 1, 1), group(celery_chunks(s("add"), [[1, 2], [3, 4]], 1), s("echo"))),
     state="SUCCESS", result=[[[3], [7]], {"args": [2], "kwargs": {}}])
case("an empty chunks in a chain is not dropped: its result is []",
     chain(s("add", 1, 1), celery_chunks(s("add"), [], 2), s("echo")),
     state="SUCCESS", result={"args": [[]], "kwargs": {}})
case("a chunks in a group is one element, the list of its parts' results",
     group(celery_chunks(s("add"), [[1, 2], [3, 4]], 1), s("add", 1, 1)),
     state="SUCCESS", result=[[[3], [7]], 2])
case("a chunks in a chord header is one element of the body's list",
     chord([celery_chunks(s("add"), [[1, 2], [3, 4]], 1), s("add", 1, 1)], s("echo")),
     state="SUCCESS", result={"args": [[[[3], [7]], 2]], "kwargs": {}})
case("a group with a link inside a group is spliced in",
     group(group(s("add", 1, 1), s("add", 2, 2), options={"link": s("echo")}), s("add", 3, 3)),
     state="SUCCESS", result=[2, 4, 6])
case("a group with a task_id in a chord header is spliced in",
     chord([group(s("add", 1, 1), s("add", 2, 2), options={"task_id": "spliced-inner"}), s("add", 3, 3)], s("tsum")),
     state="SUCCESS", result=12)

# Python's floats: kombu's JSON carries nan and inf (NaN, Infinity), and a
# float past the range reads as inf. An option may not be one: Celery's
# apply_async raises (timedelta: OverflowError).
case("a float overflows to inf, as Python's does",
     chain(s("add", 1e308, 1e308), s("mul", 2)),
     state="SUCCESS", result=float("inf"))
case("Infinity and -Infinity in args",
     group(s("add", float("inf"), 1), s("identity", float("-inf")), s("mul", 1e308, 10)),
     state="SUCCESS", result=[float("inf"), float("-inf"), float("inf")])
case("refused: an infinite countdown", s("add", 1, 2, options={"countdown": float("inf")}), http_status=400)
case("refused: a NaN expires", s("add", 1, 2, options={"expires": float("nan")}), http_status=400)
case("refused: a NUL character in a task_id", s("add", 1, 2, options={"task_id": "a\x00b"}), http_status=400)


# tasks.sleep(seconds) is time.sleep(seconds): out of range it fails with
# the exception of the Python that runs this script, its message checked
# whole (quoted). CPython 3.11 converts before it checks the sign: a float
# whose nanoseconds leave int64 is "timestamp out of range for platform
# time_t", an int's "timestamp too large to convert to C _PyTime_t" (3.13:
# "C PyTime_t"), and only a negative in range is a ValueError. An int past
# int64 (10**30) has no case: Fugue refuses that canvas, and so would
# loading this file.
def sleep_raises(seconds):
    import time
    try:
        time.sleep(seconds)  # each value below raises before it sleeps
    except (OverflowError, ValueError) as exc:
        return type(exc).__name__, str(exc)
    sys.exit("gen_cases.py: time.sleep(%r) did not raise" % seconds)


for seconds in [1e300, float("inf"), float("-inf"), -1e300, 9223372037, -9223372037, -1, float("nan")]:
    exc_type, message = sleep_raises(seconds)
    case("tasks.sleep(%r) fails as Python's time.sleep does" % seconds,
         s("sleep", seconds),
         state="FAILURE", error_type=exc_type, error_contains=json.dumps(message))

frozen_cases()

for c in cases:
    print(json.dumps(c, sort_keys=True))
