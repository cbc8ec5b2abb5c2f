"""Celery side of `make bench`: the demo tasks bench/ uses, with the names and
meaning of Fugue's (spec/interface.md): tasks.add(x, y) = x + y,
tasks.tsum(nums) = sum(nums). Redis is broker and result backend
(BENCH_REDIS; BENCH_REDIS_BACKEND, if set, for the backend alone).
BENCH_RESULT_EXTENDED=1 stores each task's name and args with its result,
which canvasdiff.py --links reads."""
import os

from celery import Celery

url = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")
app = Celery("tasks", broker=url, backend=os.environ.get("BENCH_REDIS_BACKEND", url))
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_expires=3600,
    broker_connection_retry_on_startup=True,
    result_extended=os.environ.get("BENCH_RESULT_EXTENDED") == "1",
)


@app.task(name="tasks.add")
def add(x, y):
    return x + y


@app.task(name="tasks.tsum")
def tsum(nums):
    return sum(nums)


# The demo tasks below are used by canvasdiff.py, not by the benchmark.
class ExpectedException(Exception):
    pass


@app.task(name="tasks.echo")
def echo(*args, **kwargs):
    return {"args": list(args), "kwargs": kwargs}


@app.task(name="tasks.fail")
def fail(*args):
    raise ExpectedException("Task expected to fail")


@app.task(name="tasks.mul")
def mul(x, y):
    return x * y


@app.task(name="tasks.identity")
def identity(x):
    return x


@app.task(name="tasks.retry_once", bind=True)
def retry_once(self, *args):
    if self.request.retries == 0:
        raise self.retry(countdown=0.1)
    return self.request.retries


# Fugue's is record_error(task_id, *rest); Celery calls an errback that takes
# more than one argument in the worker, as errback(request, exc, traceback),
# never as a task, so this one takes the task id alone (backends/base.py,
# _call_task_errbacks).
@app.task(name="tasks.record_error")
def record_error(task_id):
    return {"failed": task_id}
