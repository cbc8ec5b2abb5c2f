package value

import "slices"

// Iterate is Python's iter() over a value: a list's elements, a string's
// characters, a bytes' ints, a dict's keys (sorted: Go maps keep no
// insertion order). It reports false for a value Python cannot iterate
// (None, bool, int, float).
func Iterate(v any) ([]any, bool) {
	switch v := v.(type) {
	case []any:
		return v, true
	case string:
		out := make([]any, 0, len(v))
		for _, c := range v {
			out = append(out, string(c))
		}
		return out, true
	case []byte:
		out := make([]any, len(v))
		for i, b := range v {
			out[i] = int64(b)
		}
		return out, true
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = k
		}
		return out, true
	}
	return nil, false
}
