package demo

import (
	"math"
	"reflect"
	"testing"

	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/value"
	"github.com/fugue-run/fugue/worker"
)

// setup returns a Registry with the demo tasks.
func setup(t *testing.T) *worker.Registry {
	t.Helper()
	reg := worker.NewRegistry()
	Register(reg)
	return reg
}

func ok(v any) worker.Outcome { return worker.Outcome{Kind: worker.Succeeded, Result: v} }

func fails(typ, msg string) worker.Outcome {
	return worker.Outcome{Kind: worker.Failed, Failure: events.Failure{Type: typ, Message: msg}}
}

func list(v ...any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

func ints(n ...int64) []any {
	out := make([]any, len(n))
	for i, x := range n {
		out[i] = x
	}
	return out
}

func irange(n int64) []any {
	out := make([]any, n)
	for i := range n {
		out[i] = i
	}
	return out
}

type call struct {
	name   string
	task   string
	args   []any
	kwargs map[string]any
	want   worker.Outcome
}

func run(t *testing.T, calls []call) {
	t.Helper()
	reg := setup(t)
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			req := &worker.Request{Name: c.task, Args: c.args, Kwargs: c.kwargs, MaxRetries: worker.TaskDefault}
			got := worker.Execute(t.Context(), reg, req, nil)
			same := reflect.DeepEqual(got, c.want)
			if !same && value.Equal(got.Result, c.want.Result) { // NaN
				g, w := got, c.want
				g.Result, w.Result = nil, nil
				same = reflect.DeepEqual(g, w)
			}
			if !same {
				t.Fatalf("%s%v =\n %v\nwant\n %v", c.task, c.args, got, c.want)
			}
		})
	}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	want := []string{"celery.map", "celery.starmap", "tasks.add", "tasks.echo", "tasks.fail",
		"tasks.identity", "tasks.mul", "tasks.progress", "tasks.record_error", "tasks.retry_once",
		"tasks.sleep", "tasks.tsum", "tasks.xsum"}
	if got := setup(t).Names(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Names = %v, want %v", got, want)
	}
}

func TestAdd(t *testing.T) {
	t.Parallel()
	run(t, []call{
		{"ints", "tasks.add", ints(1, 2), nil, ok(int64(3))},
		{"float and int", "tasks.add", list(1.5, int64(2)), nil, ok(3.5)},
		{"float overflow", "tasks.add", list(1e308, 1e308), nil, ok(math.Inf(1))},
		{"inf minus inf", "tasks.add", list(math.Inf(1), math.Inf(-1)), nil, ok(math.NaN())},
		{"integral float stays float", "tasks.add", list(2.0, int64(2)), nil, ok(4.0)},
		{"bool is an int", "tasks.add", list(true, int64(1)), nil, ok(int64(2))},
		{"two bools", "tasks.add", list(true, true), nil, ok(int64(2))},
		{"bool and float", "tasks.add", list(false, 0.5), nil, ok(0.5)},
		{"strings", "tasks.add", list("ab", "cd"), nil, ok("abcd")},
		{"lists", "tasks.add", list(ints(1), list("x")), nil, ok(list(int64(1), "x"))},
		{"bytes", "tasks.add", list([]byte("a"), []byte("b")), nil, ok([]byte("ab"))},
		{"keywords", "tasks.add", nil, map[string]any{"x": int64(1), "y": int64(2)}, ok(int64(3))},
		{"int and str", "tasks.add", list(int64(1), "a"), nil,
			fails("TypeError", "unsupported operand type(s) for +: 'int' and 'str'")},
		{"str and int", "tasks.add", list("a", int64(1)), nil,
			fails("TypeError", `can only concatenate str (not "int") to str`)},
		{"list and str", "tasks.add", list(ints(1), "a"), nil,
			fails("TypeError", `can only concatenate list (not "str") to list`)},
		{"bytes and str", "tasks.add", list([]byte("a"), "a"), nil, fails("TypeError", "can't concat str to bytes")},
		{"None", "tasks.add", list(nil, int64(1)), nil,
			fails("TypeError", "unsupported operand type(s) for +: 'NoneType' and 'int'")},
		{"dicts", "tasks.add", list(map[string]any{}, map[string]any{}), nil,
			fails("TypeError", "unsupported operand type(s) for +: 'dict' and 'dict'")},
		{"overflow", "tasks.add", ints(math.MaxInt64, 1), nil,
			fails("OverflowError", "integer result out of range for int64: 9223372036854775807 + 1")},
		{"negative overflow", "tasks.add", ints(math.MinInt64, -1), nil,
			fails("OverflowError", "integer result out of range for int64: -9223372036854775808 + -1")},
		{"missing", "tasks.add", ints(1), nil,
			fails("TypeError", "add() missing 1 required positional argument: 'y'")},
		{"too many", "tasks.add", ints(1, 2, 3), nil,
			fails("TypeError", "add() takes 2 positional arguments but 3 were given")},
	})
}

func TestMul(t *testing.T) {
	t.Parallel()
	run(t, []call{
		{"ints", "tasks.mul", ints(64, 10), nil, ok(int64(640))},
		{"float", "tasks.mul", list(2.5, int64(2)), nil, ok(5.0)},
		{"bool", "tasks.mul", list(true, int64(3)), nil, ok(int64(3))},
		{"str repeat", "tasks.mul", list("ab", int64(3)), nil, ok("ababab")},
		{"int times list", "tasks.mul", list(int64(2), ints(1)), nil, ok(ints(1, 1))},
		{"bytes repeat", "tasks.mul", list([]byte("a"), int64(2)), nil, ok([]byte("aa"))},
		{"negative repeat", "tasks.mul", list("a", int64(-1)), nil, ok("")},
		{"bool repeat", "tasks.mul", list("a", true), nil, ok("a")},
		{"empty repeat", "tasks.mul", list("", int64(math.MaxInt64)), nil, ok("")},
		{"min int", "tasks.mul", ints(-1<<62, 2), nil, ok(int64(math.MinInt64))},
		{"overflow", "tasks.mul", ints(1<<62, 2), nil,
			fails("OverflowError", "integer result out of range for int64: 4611686018427387904 * 2")},
		{"min int negated", "tasks.mul", ints(math.MinInt64, -1), nil,
			fails("OverflowError", "integer result out of range for int64: -9223372036854775808 * -1")},
		{"sequence by float", "tasks.mul", list("a", 1.5), nil,
			fails("TypeError", "can't multiply sequence by non-int of type 'float'")},
		{"float by sequence", "tasks.mul", list(1.5, ints(1)), nil,
			fails("TypeError", "can't multiply sequence by non-int of type 'float'")},
		{"str by str", "tasks.mul", list("a", "b"), nil,
			fails("TypeError", "can't multiply sequence by non-int of type 'str'")},
		{"None", "tasks.mul", list(nil, int64(2)), nil,
			fails("TypeError", "unsupported operand type(s) for *: 'NoneType' and 'int'")},
		// Python's floats overflow to inf (1e308 * 10), and inf * 0 is
		// nan; kombu's JSON carries both (Infinity, NaN).
		{"float overflow", "tasks.mul", list(1e308, int64(10)), nil, ok(math.Inf(1))},
		{"inf by zero", "tasks.mul", list(math.Inf(-1), int64(0)), nil, ok(math.NaN())},
		{"too long", "tasks.mul", list("ab", int64(1<<40)), nil,
			fails("MemoryError", "repeated str is too long: 2 * 1099511627776")},
	})
}

func TestSums(t *testing.T) {
	t.Parallel()
	tenths := make([]any, 10)
	for i := range tenths {
		tenths[i] = 0.1
	}
	run(t, []call{
		{"tsum ints", "tasks.tsum", list(ints(1, 2, 3)), nil, ok(int64(6))},
		{"tsum empty", "tasks.tsum", list(list()), nil, ok(int64(0))},
		{"tsum bools", "tasks.tsum", list(list(true, int64(2))), nil, ok(int64(3))},
		{"tsum mixed", "tasks.tsum", list(list(int64(1), 2.5)), nil, ok(3.5)},
		{"tsum compensated", "tasks.tsum", list(tenths), nil, ok(1.0)},
		{"tsum compensated 2", "tasks.tsum", list(list(1e100, 1.0, -1e100, 1.0)), nil, ok(2.0)},
		{"tsum str", "tasks.tsum", list(list("a")), nil,
			fails("TypeError", "unsupported operand type(s) for +: 'int' and 'str'")},
		{"tsum float and str", "tasks.tsum", list(list(1.5, "a")), nil,
			fails("TypeError", "unsupported operand type(s) for +: 'float' and 'str'")},
		{"tsum nested", "tasks.tsum", list(list(ints(1))), nil,
			fails("TypeError", "unsupported operand type(s) for +: 'int' and 'list'")},
		{"tsum not iterable", "tasks.tsum", ints(5), nil, fails("TypeError", "'int' object is not iterable")},
		{"tsum overflow", "tasks.tsum", list(ints(math.MaxInt64, 1)), nil,
			fails("OverflowError", "integer result out of range for int64: 9223372036854775807 + 1")},
		{"xsum flat", "tasks.xsum", list(irange(10)), nil, ok(int64(45))},
		{"xsum nested", "tasks.xsum", list(list(int64(1), ints(2, 3), int64(4))), nil, ok(int64(10))},
		{"xsum float", "tasks.xsum", list(list(1.5, ints(1, 2))), nil, ok(4.5)},
		{"xsum empty parts", "tasks.xsum", list(list(list(), "")), nil, ok(int64(0))},
		{"xsum bytes sum their ints", "tasks.xsum", list(list([]byte("ab"))), nil, ok(int64(195))},
		{"xsum str", "tasks.xsum", list(list("ab")), nil,
			fails("TypeError", "unsupported operand type(s) for +: 'int' and 'str'")},
		{"xsum None", "tasks.xsum", list(list(nil)), nil,
			fails("TypeError", "unsupported operand type(s) for +: 'int' and 'NoneType'")},
		{"xsum two levels", "tasks.xsum", list(list(list(int64(1), ints(2)))), nil,
			fails("TypeError", "unsupported operand type(s) for +: 'int' and 'list'")},
		{"xsum keyword", "tasks.xsum", nil, map[string]any{"nums": ints(1, 2)}, ok(int64(3))},
	})
}

func TestSimpleTasks(t *testing.T) {
	t.Parallel()
	run(t, []call{
		{"identity", "tasks.identity", list(ints(1, 2)), nil, ok(ints(1, 2))},
		{"identity None", "tasks.identity", list(nil), nil, ok(nil)},
		{"identity missing", "tasks.identity", nil, nil,
			fails("TypeError", "identity() missing 1 required positional argument: 'x'")},
		{"echo nothing", "tasks.echo", nil, nil, ok(map[string]any{"args": list(), "kwargs": map[string]any{}})},
		{"echo", "tasks.echo", list(int64(1), 2.0, "x"), map[string]any{"k": nil},
			ok(map[string]any{"args": list(int64(1), 2.0, "x"), "kwargs": map[string]any{"k": nil}})},
		{"fail", "tasks.fail", ints(1, 2), nil, fails("ExpectedException", "Task expected to fail")},
		{"fail keyword", "tasks.fail", nil, map[string]any{"x": int64(1)},
			fails("TypeError", "fail() got an unexpected keyword argument 'x'")},
		{"record_error", "tasks.record_error", list("w1.t3", "extra"), nil, ok(map[string]any{"failed": "w1.t3"})},
		{"record_error missing", "tasks.record_error", nil, nil,
			fails("TypeError", "record_error() missing 1 required positional argument: 'task_id'")},
		{"progress none", "tasks.progress", ints(0), nil, ok(int64(0))},
		{"progress float", "tasks.progress", list(1.5), nil,
			fails("TypeError", "'float' object cannot be interpreted as an integer")},
	})
}

func TestRetryOnce(t *testing.T) {
	t.Parallel()
	reg := setup(t)
	req := &worker.Request{Name: "tasks.retry_once", Args: ints(7), MaxRetries: worker.TaskDefault}
	want := worker.Outcome{Kind: worker.Retrying, Countdown: 0.1,
		Failure: events.Failure{Type: "Retry", Message: "Retry in 0.1s"}, Explicit: true}
	if got := worker.Execute(t.Context(), reg, req, nil); !reflect.DeepEqual(got, want) {
		t.Fatalf("first attempt = %v, want %v", got, want)
	}
	req.Retries = 1
	if got := worker.Execute(t.Context(), reg, req, nil); !reflect.DeepEqual(got, ok(int64(1))) {
		t.Fatalf("retry = %v, want succeeded 1", got)
	}
}

func TestProgress(t *testing.T) {
	t.Parallel()
	reg := setup(t)
	var metas []any
	rep := worker.ReporterFunc(func(state string, meta any) error {
		if state != "PROGRESS" {
			t.Errorf("state %q, want PROGRESS", state)
		}
		metas = append(metas, meta)
		return nil
	})
	got := worker.Execute(t.Context(), reg, &worker.Request{Name: "tasks.progress", Args: ints(3)}, rep)
	if !reflect.DeepEqual(got, ok(int64(3))) {
		t.Fatalf("progress(3) = %v", got)
	}
	want := []any{
		map[string]any{"step": int64(1), "total": int64(3)},
		map[string]any{"step": int64(2), "total": int64(3)},
		map[string]any{"step": int64(3), "total": int64(3)},
	}
	if !reflect.DeepEqual(metas, want) {
		t.Fatalf("reports = %v, want %v", metas, want)
	}
}

func sig(name string) map[string]any {
	return map[string]any{"task": name, "args": list(), "kwargs": map[string]any{},
		"options": map[string]any{}, "subtask_type": nil, "immutable": false}
}

// The conformance expectations for map and starmap.
func TestMapConformance(t *testing.T) {
	t.Parallel()
	pairs := make([]any, 10)
	doubles := make([]any, 10)
	for i := range int64(10) {
		pairs[i] = ints(i, i)
		doubles[i] = 2 * i
	}
	run(t, []call{
		{"map xsum", "celery.map", nil, map[string]any{"task": sig("tasks.xsum"), "it": list(irange(10), irange(100))},
			ok(ints(45, 4950))},
		{"starmap add", "celery.starmap", nil, map[string]any{"task": sig("tasks.add"), "it": pairs}, ok(doubles)},
		{"map fail", "celery.map", nil, map[string]any{"task": sig("tasks.fail"), "it": ints(1)},
			fails("ExpectedException", "Task expected to fail")},
		{"map add needs two", "celery.map", nil, map[string]any{"task": sig("tasks.add"), "it": ints(1)},
			fails("TypeError", "add() missing 1 required positional argument: 'y'")},
		{"starmap mul repeats", "celery.starmap", nil,
			map[string]any{"task": sig("tasks.mul"), "it": list(list("ab", int64(2)))}, ok(list("abab"))},
	})
}
