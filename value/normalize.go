package value

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
)

// Normalize converts a Go value into the value set (see the package
// comment) and returns it. The result never shares memory with v: lists,
// dicts and bytes are always new.
//
// It converts:
//   - every signed and unsigned integer type to int64 (an unsigned value
//     above math.MaxInt64 is an error);
//   - float32 to the float64 of its shortest decimal form (float32(0.1)
//     becomes 0.1, not 0.10000000149011612), float64 as it is (NaN and
//     ±Inf included, as Python's floats);
//   - json.Number with the rules of DecodeJSON, json.RawMessage by
//     decoding it;
//   - a slice or array of any convertible type to []any, except a slice of
//     bytes, which stays []byte; a nil slice to an empty list;
//   - a map whose key type is a string type to map[string]any; a nil map
//     to an empty dict;
//   - named types (type Celsius float64) by their underlying kind;
//   - pointers and interfaces to what they point at (nil to nil).
//
// Structs, channels, functions, complex numbers, maps with other key types, and
// nesting deeper than MaxDepth (which also catches cycles). The error is a
// *PathError naming where the offending part sits.
func Normalize(v any) (any, error) {
	return normalize(v, 0)
}

func normalize(v any, depth int) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case bool:
		return x, nil
	case string:
		return x, nil
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case float64:
		return x, nil
	case json.Number:
		return parseNumber(string(x))
	case json.RawMessage:
		return DecodeJSON(x)
	case []byte:
		return append([]byte{}, x...), nil
	case []any:
		if depth >= MaxDepth {
			return nil, newError(tooDeep)
		}
		out := make([]any, len(x))
		for i, e := range x {
			n, err := normalize(e, depth+1)
			if err != nil {
				return nil, atIndex(err, i)
			}
			out[i] = n
		}
		return out, nil
	case map[string]any:
		if depth >= MaxDepth {
			return nil, newError(tooDeep)
		}
		out := make(map[string]any, len(x))
		var ke keyError
		for k, e := range x {
			n, err := normalize(e, depth+1)
			ke.add(k, err)
			out[k] = n
		}
		if err := ke.result(); err != nil {
			return nil, err
		}
		return out, nil
	}
	return normalizeReflect(reflect.ValueOf(v), depth)
}

func normalizeReflect(rv reflect.Value, depth int) (any, error) {
	switch rv.Kind() {
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return nil, newError(fmt.Sprintf("integer %d overflows int64", u))
		}
		return int64(u), nil
	case reflect.Float32:
		f := rv.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return f, nil
		}
		// The float64 closest to the float32's shortest decimal form.
		g, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'g', -1, 32), 64)
		return g, nil
	case reflect.Float64:
		return rv.Float(), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
		if depth >= MaxDepth {
			return nil, newError(tooDeep)
		}
		return normalize(rv.Elem().Interface(), depth+1)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
			return append([]byte{}, rv.Bytes()...), nil
		}
		if depth >= MaxDepth {
			return nil, newError(tooDeep)
		}
		out := make([]any, rv.Len())
		for i := range out {
			n, err := normalize(rv.Index(i).Interface(), depth+1)
			if err != nil {
				return nil, atIndex(err, i)
			}
			out[i] = n
		}
		return out, nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, newError(fmt.Sprintf("unsupported type %s (dict keys must be strings)", rv.Type()))
		}
		if depth >= MaxDepth {
			return nil, newError(tooDeep)
		}
		out := make(map[string]any, rv.Len())
		var ke keyError
		for it := rv.MapRange(); it.Next(); {
			n, err := normalize(it.Value().Interface(), depth+1)
			ke.add(it.Key().String(), err)
			out[it.Key().String()] = n
		}
		if err := ke.result(); err != nil {
			return nil, err
		}
		return out, nil
	default:
		if !rv.IsValid() {
			return nil, nil
		}
		return nil, newError(fmt.Sprintf("unsupported type %s", rv.Type()))
	}
}

// Check reports whether v is a value tree: only the types of the package
// comment, nesting at most MaxDepth. It returns nil or a
// *PathError naming the first offending part (dict keys in sorted order).
func Check(v any) error {
	return checkTree(v, 0, false)
}

// checkTree is Check; with lazy, a *Lazy is taken as checked.
func checkTree(v any, depth int, lazy bool) error {
	switch x := v.(type) {
	case nil, bool, int64, float64, string, []byte:
		return nil
	case *Lazy:
		if lazy {
			return nil
		}
		return newError(unsupported(v))
	case []any:
		if depth >= MaxDepth {
			return newError(tooDeep)
		}
		for i, e := range x {
			if err := checkTree(e, depth+1, lazy); err != nil {
				return atIndex(err, i)
			}
		}
		return nil
	case map[string]any:
		if depth >= MaxDepth {
			return newError(tooDeep)
		}
		var ke keyError
		for k, e := range x {
			ke.add(k, checkTree(e, depth+1, lazy))
		}
		return ke.result()
	default:
		return newError(unsupported(v))
	}
}
