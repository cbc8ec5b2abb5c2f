package demo

import (
	"math"
	"math/bits"
	"slices"

	"github.com/fugue-run/fugue/value"
	"github.com/fugue-run/fugue/worker"
)

// maxRepeat bounds the length of str * n and list * n, where Python would
// run out of memory.
const maxRepeat = 1 << 24

// typeName is the Python type name of a value.
func typeName(v any) string { return value.TypeName(v) }

func typeError(format string, args ...any) error { return worker.Failf("TypeError", format, args...) }

// asInt reports v as a Python int: an int64, or a bool (True is 1).
func asInt(v any) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// asFloat reports v as a Python number converted to float.
func asFloat(v any) (float64, bool) {
	if f, ok := v.(float64); ok {
		return f, true
	}
	i, ok := asInt(v)
	return float64(i), ok
}

// bothNumbers reports whether x and y are numbers and whether either is a
// float (then the result is a float).
func bothNumbers(x, y any) (numbers, float bool) {
	_, fx := x.(float64)
	_, fy := y.(float64)
	_, ix := asInt(x)
	_, iy := asInt(y)
	return (ix || fx) && (iy || fy), fx || fy
}

func overflow(x int64, op string, y int64) error {
	return worker.Failf("OverflowError", "integer result out of range for int64: %d %s %d", x, op, y)
}

// add is Python's x + y for values.
func add(x, y any) (any, error) {
	if num, fl := bothNumbers(x, y); num {
		if fl {
			a, _ := asFloat(x)
			b, _ := asFloat(y)
			return a + b, nil
		}
		a, _ := asInt(x)
		b, _ := asInt(y)
		s := a + b
		if (s > a) != (b > 0) {
			return nil, overflow(a, "+", b)
		}
		return s, nil
	}
	switch x := x.(type) {
	case string:
		if y, ok := y.(string); ok {
			return x + y, nil
		}
		return nil, typeError("can only concatenate str (not %q) to str", typeName(y))
	case []any:
		if y, ok := y.([]any); ok {
			return slices.Concat(x, y), nil
		}
		return nil, typeError("can only concatenate list (not %q) to list", typeName(y))
	case []byte:
		if y, ok := y.([]byte); ok {
			return slices.Concat(x, y), nil
		}
		return nil, typeError("can't concat %s to bytes", typeName(y))
	}
	return nil, unsupported("+", x, y)
}

// mul is Python's x * y for values.
func mul(x, y any) (any, error) {
	if num, fl := bothNumbers(x, y); num {
		if fl {
			a, _ := asFloat(x)
			b, _ := asFloat(y)
			return a * b, nil
		}
		a, _ := asInt(x)
		b, _ := asInt(y)
		if !mulFits(a, b) {
			return nil, overflow(a, "*", b)
		}
		return a * b, nil
	}
	if isSequence(x) {
		n, ok := asInt(y)
		if !ok {
			return nil, typeError("can't multiply sequence by non-int of type '%s'", typeName(y))
		}
		return repeat(x, n)
	}
	if isSequence(y) {
		n, ok := asInt(x)
		if !ok {
			return nil, typeError("can't multiply sequence by non-int of type '%s'", typeName(x))
		}
		return repeat(y, n)
	}
	return nil, unsupported("*", x, y)
}

func mulFits(a, b int64) bool {
	if a == 0 || b == 0 {
		return true
	}
	if (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return false
	}
	hi, lo := bits.Mul64(uint64(abs(a)), uint64(abs(b)))
	if hi != 0 {
		return false
	}
	if (a < 0) != (b < 0) {
		return lo <= 1<<63
	}
	return lo <= math.MaxInt64
}

// abs is |x|, with MinInt64 wrapping to itself (its uint64 is right).
func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func unsupported(op string, x, y any) error {
	return typeError("unsupported operand type(s) for %s: '%s' and '%s'", op, typeName(x), typeName(y))
}

func isSequence(v any) bool {
	switch v.(type) {
	case string, []any, []byte:
		return true
	}
	return false
}

// repeat is Python's seq * n.
func repeat(seq any, n int64) (any, error) {
	n = max(n, 0)
	size := 0
	switch s := seq.(type) {
	case string:
		size = len(s)
	case []any:
		size = len(s)
	case []byte:
		size = len(s)
	}
	if size == 0 {
		n = 0
	}
	if size > 0 && n > maxRepeat/int64(size) {
		return nil, worker.Failf("MemoryError", "repeated %s is too long: %d * %d", typeName(seq), size, n)
	}
	switch s := seq.(type) {
	case string:
		return repeatSlice([]byte(s), int(n), func(b []byte) any { return string(b) }), nil
	case []byte:
		return repeatSlice(s, int(n), func(b []byte) any { return b }), nil
	}
	return repeatSlice(seq.([]any), int(n), func(l []any) any { return l }), nil
}

func repeatSlice[T any](s []T, n int, as func([]T) any) any {
	out := make([]T, 0, len(s)*n)
	for range n {
		out = append(out, s...)
	}
	return as(out)
}

// sum is CPython's sum(items) (start 0), with each item passed through
// each first, lazily, as a generator would (nil each: the items as they
// are). It follows CPython 3.12's fast paths so that results match to the
// last bit: ints add exactly (int64; OverflowError where Python would
// switch to big ints), and once the total is a float, floats add with
// Neumaier's compensated summation while ints add plainly.
func sum(items []any, each func(any) (any, error)) (any, error) {
	next := func(i int) (any, error) {
		if each == nil {
			return items[i], nil
		}
		return each(items[i])
	}
	var total int64
	i := 0
	for ; i < len(items); i++ {
		item, err := next(i)
		if err != nil {
			return nil, err
		}
		if b, ok := asInt(item); ok {
			s := total + b
			if (s > total) != (b > 0) {
				return nil, overflow(total, "+", b)
			}
			total = s
			continue
		}
		r, err := add(total, item)
		if err != nil {
			return nil, err
		}
		f, ok := r.(float64)
		if !ok {
			return r, nil // unreachable: int + non-number fails above
		}
		return floatSum(f, items[i+1:], func(j int) (any, error) { return next(i + 1 + j) })
	}
	return total, nil
}

// floatSum continues sum once the total f is a float.
func floatSum(f float64, rest []any, next func(int) (any, error)) (any, error) {
	c := 0.0
	for j := range rest {
		item, err := next(j)
		if err != nil {
			return nil, err
		}
		switch x := item.(type) {
		case float64:
			t := f + x
			if math.Abs(f) >= math.Abs(x) {
				c += (f - t) + x
			} else {
				c += (x - t) + f
			}
			f = t
			continue
		}
		if b, ok := asInt(item); ok {
			f += float64(b)
			continue
		}
		if c != 0 && !math.IsInf(c, 0) && !math.IsNaN(c) {
			f += c
		}
		return nil, unsupported("+", f, item)
	}
	if c != 0 && !math.IsInf(c, 0) && !math.IsNaN(c) {
		f += c
	}
	return f, nil
}

// iterate is Python's iter() over a value (value.Iterate), with Python's
// TypeError for what is not iterable.
func iterate(v any) ([]any, error) {
	if items, ok := value.Iterate(v); ok {
		return items, nil
	}
	return nil, typeError("'%s' object is not iterable", typeName(v))
}
