package worker

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
)

// maxDepth bounds the nesting of a value, as package value does; it also
// stops a cyclic map or slice.
const maxDepth = 10000

// normalize returns v as a value (see package value): nil, bool, int64,
// float64, string, []byte, []any or map[string]any, recursively. It
// follows value.Normalize, which it stands in for until that package
// settles: other Go integers, float32 (by its shortest decimal form),
// named types, pointers, and slices, arrays and string-keyed maps of
// anything convertible are converted (a nil slice or map to an empty list
// or dict); NaN and ±Inf (JSON cannot carry them), structs, channels,
// funcs, uint64 above MaxInt64 and nesting deeper than maxDepth are errors
// that say where. A v that is already a value is returned as it is.
func normalize(v any) (any, error) {
	if ok, err := isValue(v, 0); ok || err != nil {
		return v, err
	}
	return convert(reflect.ValueOf(v), "", 0)
}

var errTooDeep = errors.New("nested deeper than 10000 levels")

// isValue reports whether v is already a value, without allocating.
func isValue(v any, depth int) (bool, error) {
	if depth > maxDepth {
		return false, errTooDeep
	}
	switch v := v.(type) {
	case nil, bool, int64, string, []byte:
		return true, nil
	case float64:
		return !math.IsNaN(v) && !math.IsInf(v, 0), nil
	case []any:
		for _, e := range v {
			if ok, err := isValue(e, depth+1); !ok || err != nil {
				return false, err
			}
		}
		return true, nil
	case map[string]any:
		for _, e := range v {
			if ok, err := isValue(e, depth+1); !ok || err != nil {
				return false, err
			}
		}
		return true, nil
	}
	return false, nil
}

func convert(rv reflect.Value, path string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%s%w", at(path), errTooDeep)
	}
	if !rv.IsValid() {
		return nil, nil
	}
	switch rv.Kind() {
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return nil, fmt.Errorf("%s%d is out of the int64 range", at(path), u)
		}
		return int64(u), nil
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%s%v has no JSON form", at(path), f)
		}
		if rv.Kind() == reflect.Float32 {
			f, _ = strconv.ParseFloat(strconv.FormatFloat(f, 'g', -1, 32), 64)
		}
		return f, nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Interface, reflect.Pointer:
		if rv.IsNil() {
			return nil, nil
		}
		return convert(rv.Elem(), path, depth+1)
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return append([]byte{}, rv.Bytes()...), nil
		}
		fallthrough
	case reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			e, err := convert(rv.Index(i), path+"["+strconv.Itoa(i)+"]", depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("%s%s has keys that are not strings", at(path), rv.Type())
		}
		out := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			k := it.Key().String()
			e, err := convert(it.Value(), path+"."+k, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = e
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s%s is not a value", at(path), rv.Type())
}

func at(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}
