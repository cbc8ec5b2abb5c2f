"""Celery side of `make bench`: the demo tasks bench/ uses, with the names and
meaning of Fugue's (spec/interface.md): tasks.add(x, y) = x + y,
tasks.tsum(nums) = sum(nums). Redis is broker and result backend."""
import os

from celery import Celery

url = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")
app = Celery("tasks", broker=url, backend=url)
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_expires=3600,
    broker_connection_retry_on_startup=True,
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
