package value

// Clone returns a deep copy of v: lists, dicts and bytes are copied, so
// that changing the copy never changes v. A nil list, dict or bytes stays
// nil. Leaves that are not values are returned as they are. v must be a
// tree (values never contain cycles).
func Clone(v any) any {
	switch x := v.(type) {
	case []any:
		if x == nil {
			return x
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Clone(e)
		}
		return out
	case map[string]any:
		if x == nil {
			return x
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Clone(e)
		}
		return out
	case []byte:
		if x == nil {
			return x
		}
		return append([]byte{}, x...)
	default:
		return v
	}
}
