package value

import "bytes"

// Equal reports whether a and b are the same value, strictly by type as
// Python's type-aware comparison in our conformance tests: int64(4) and
// float64(4) differ, as do "a" and []byte("a"). A nil []any equals an
// empty one and a nil map an empty one. Floats compare with ==, so 0.0
// equals -0.0, except that NaN equals NaN: a value carried unchanged is
// equal to itself. Anything that is not a value is equal to nothing.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || x != x && y != y)
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !Equal(xv, yv) {
				return false
			}
		}
		return true
	default:
		return false
	}
}
