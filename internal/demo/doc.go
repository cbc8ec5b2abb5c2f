// Package demo holds the demo tasks that cmd/worker and engine dev
// register: tasks.add, tasks.mul, tasks.xsum, tasks.tsum, tasks.identity,
// tasks.echo, tasks.fail, tasks.sleep, tasks.retry_once, tasks.progress
// and tasks.record_error (see spec/interface.md). They behave like the
// Python functions of Celery's integration tests, to the message of the
// exceptions they raise:
//
//   - Numbers keep Python's types: int op int is an int, anything with a
//     float is a float, and a bool counts as an int (add(True, 1) is 2).
//   - add concatenates two strings, two lists or two bytes; mul repeats a
//     string, list or bytes by an int. Mismatched types fail with
//     Python's TypeError: unsupported operand type(s) for +: 'int' and
//     'str'; can only concatenate str (not "int") to str; can't multiply
//     sequence by non-int of type 'float'.
//   - Arguments bind as in Python: add(1) fails with TypeError add()
//     missing 1 required positional argument: 'y'.
//   - sum (tsum, xsum) follows CPython 3.12, whose float sum is
//     compensated (sum([0.1]*10) is 1.0).
//   - A float result may be ±Inf or NaN, as Python's: mul(1e308, 10) is
//     Infinity.
//   - Iterating a dict yields its keys in sorted order, since values keep
//     no insertion order.
//   - sleep converts its argument as CPython 3.11's time.sleep does and
//     fails out of range with its exceptions: OverflowError "timestamp
//     out of range for platform time_t" for a float past ±2**63 ns (inf,
//     -1e300), "timestamp too large to convert to C _PyTime_t" for an
//     int (-9223372037), ValueError "sleep length must be non-negative"
//     for a negative in range.
//
// Where Go cannot follow Python:
//
//   - Python ints are unbounded and ours are int64: a result outside its
//     range fails with OverflowError "integer result out of range for
//     int64: 9223372036854775807 + 1".
//   - A string, list or bytes repeated beyond 16 Mi elements fails with
//     MemoryError.
//   - CPython's time.sleep adds the length to the host's monotonic clock
//     without a bound, so a length that comes within the host's uptime
//     of 2**63 ns (9223372036.854775807 s, 292 years) fails there with
//     OSError "[Errno 22] Invalid argument", from a bound that depends
//     on the machine; sleep sleeps.
//
// tasks.progress counts steps from 1 to steps and does not pause between
// them. tasks.sleep watches its context: a revoke or time limit ends it
// at once.
package demo
