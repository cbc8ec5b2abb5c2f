"""Reads and writes Fugue events with fastavro, as a Python producer would.

Usage: python interop.py SCHEMA.avsc < records.hex > records.hex

Each input line is a single-object record in hex, written by Go. The script
checks its header against the fingerprint it computes itself from the
schema, decodes it, encodes it again, and prints the result. Then it prints
one WorkflowSubmitted record of its own making, carrying a Celery canvas.
Used by events/interop_test.go; also an example for Python producers.
"""

import io
import json
import sys

import fastavro
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form


def value(x):
    """Wraps a plain Python value (None, bool, int, float, str, bytes, list,
    dict) as a run.fugue.Value record: {"v": x}, recursively."""
    if isinstance(x, list):
        return {"v": [value(i) for i in x]}
    if isinstance(x, dict):
        return {"v": {k: value(i) for k, i in x.items()}}
    return {"v": x}


def signature(d):
    """A Celery signature dict (sig.__json__()-like) as a run.fugue.Signature."""
    return {
        "task": d["task"],
        "args": [value(a) for a in d.get("args", [])],
        "kwargs": {k: value(v) for k, v in d.get("kwargs", {}).items()},
        "options": {k: value(v) for k, v in d.get("options", {}).items()},
        "subtask_type": d.get("subtask_type"),
        "immutable": bool(d.get("immutable", False)),
    }


def main():
    with open(sys.argv[1]) as f:
        schema_json = json.load(f)
    schema = parse_schema(schema_json)
    # fingerprint() gives the CRC-64-AVRO value's bytes little-endian, in
    # hex: exactly the 8 bytes that follow the marker.
    header = b"\xc3\x01" + bytes.fromhex(fingerprint(to_parsing_canonical_form(schema_json), "CRC-64-AVRO"))

    def write(record):
        out = io.BytesIO()
        out.write(header)
        fastavro.schemaless_writer(out, schema, record)
        print(out.getvalue().hex())

    for line in sys.stdin:
        rec = bytes.fromhex(line.strip())
        if rec[:10] != header:
            sys.exit("header %s, want %s" % (rec[:10].hex(), header.hex()))
        record = fastavro.schemaless_reader(io.BytesIO(rec[10:]), schema, return_record_name=True)
        write(record)

    add = {"task": "tasks.add", "args": [2, 2.5], "kwargs": {}, "options": {}, "subtask_type": None, "immutable": False}
    canvas = {
        "task": "celery.chain",
        "args": [],
        "kwargs": {"tasks": [add, dict(add, args=[b"\x00\xff"], immutable=True)]},
        "options": {"task_id": "py-wf"},
        "subtask_type": "chain",
        "immutable": False,
        "chord_size": None,
    }
    write({
        "id": "py-wf.submitted",
        "workflow": "py-wf",
        "task": "",
        "time": 1767225600000001,
        "producer": "python",
        "body": ("run.fugue.WorkflowSubmitted", {"canvas": signature(canvas)}),
    })


if __name__ == "__main__":
    main()
