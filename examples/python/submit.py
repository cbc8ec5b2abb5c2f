#!/usr/bin/env python3
"""Submits a canvas to Fugue from Python, with no Fugue code: the record is a
WorkflowSubmitted event in Avro single-object encoding (Fugue's published
schema, schemas/v3/event.avsc), written to the events topic with the
workflow id as its key, partitioned as Kafka's Java client does (murmur2).
Any Kafka client and any Avro library can do this.

Usage:
  python3 submit.py --brokers 127.0.0.1:19092 --schema ../../schemas/v3/event.avsc \
      [--prefix fugue.] [--id WORKFLOW_ID] CANVAS.json|-

The canvas is Celery's own JSON form (json.dumps(chain(add.s(2, 2), mul.s(8)))).
Prints the workflow id. Needs: pip install -r requirements.txt
"""

import argparse
import io
import json
import sys
import time
import uuid

import fastavro
from confluent_kafka import Producer
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form


def value(x):
    """A Python value (None, bool, int, float, str, bytes, list, dict) as a
    run.fugue.Value record: {"v": x}, recursively."""
    if isinstance(x, list):
        return {"v": [value(i) for i in x]}
    if isinstance(x, dict):
        return {"v": {k: value(i) for k, i in x.items()}}
    return {"v": x}


def signature(d):
    """A Celery signature dict as a run.fugue.Signature record. Members of
    composites stay inside kwargs, as Celery writes them."""
    return {
        "task": d["task"],
        "args": [value(a) for a in d.get("args") or []],
        "kwargs": {k: value(v) for k, v in (d.get("kwargs") or {}).items()},
        "options": {k: value(v) for k, v in (d.get("options") or {}).items()},
        "subtask_type": d.get("subtask_type"),
        "immutable": bool(d.get("immutable", False)),
    }


def encode(schema_json, record):
    """Avro single-object encoding: C3 01, the schema's CRC-64-AVRO
    fingerprint (8 bytes, little-endian), then the binary body."""
    schema = parse_schema(schema_json)
    header = b"\xc3\x01" + bytes.fromhex(fingerprint(to_parsing_canonical_form(schema_json), "CRC-64-AVRO"))
    out = io.BytesIO()
    out.write(header)
    fastavro.schemaless_writer(out, schema, record)
    return out.getvalue()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--schema", required=True, help="path to schemas/v3/event.avsc")
    ap.add_argument("--prefix", default="fugue.")
    ap.add_argument("--id", help="workflow id (default: the canvas's task_id, else a new uuid)")
    ap.add_argument("canvas")
    args = ap.parse_args()

    with open(args.schema) as f:
        schema_json = json.load(f)
    src = sys.stdin if args.canvas == "-" else open(args.canvas)
    canvas = json.load(src)
    wf = args.id or (canvas.get("options") or {}).get("task_id") or str(uuid.uuid4())
    record = {
        "id": wf + ":submitted",
        "workflow": wf,
        "task": "",
        "time": int(time.time() * 1e6),
        "producer": "python",
        "body": ("run.fugue.WorkflowSubmitted", {"canvas": signature(canvas)}),
    }
    # murmur2_random is Kafka's own key partitioning, as the Java client and
    # Fugue's producers do it; librdkafka's default (consistent_random, CRC32)
    # would put this workflow's first event on another partition than the
    # rest of its events.
    p = Producer({"bootstrap.servers": args.brokers, "acks": "all", "enable.idempotence": True,
                  "partitioner": "murmur2_random"})
    errors = []
    p.produce(args.prefix + "events", key=wf.encode(), value=encode(schema_json, record),
              on_delivery=lambda err, msg: errors.append(err) if err else None)
    if p.flush(30) != 0 or errors:
        sys.exit("submit.py: not delivered: %s" % (errors or "timeout"))
    print(wf)


if __name__ == "__main__":
    main()
