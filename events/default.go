package events

import (
	"fmt"
	"math"

	"github.com/hamba/avro/v2"
)

// appendDefault appends a field default as hamba/avro parsed it (see
// avro.Field.Default) in the binary encoding of s.
func appendDefault(b []byte, s avro.Schema, def any) ([]byte, error) {
	s = deref(s)
	bad := func() ([]byte, error) { return nil, fmt.Errorf("default %v (%T) is not a %s", def, def, s.Type()) }
	switch x := s.(type) {
	case *avro.NullSchema:
		return b, nil
	case *avro.UnionSchema: // the default is for the first branch
		return appendDefault(appendLong(b, 0), x.Types()[0], def)
	case *avro.RecordSchema:
		m, ok := def.(map[string]any)
		if !ok {
			return bad()
		}
		var err error
		for _, f := range x.Fields() {
			v, ok := m[f.Name()]
			if !ok {
				v = f.Default()
			}
			if b, err = appendDefault(b, f.Type(), v); err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name(), err)
			}
		}
		return b, nil
	case *avro.ArraySchema:
		l, ok := def.([]any)
		if !ok {
			return bad()
		}
		if len(l) > 0 {
			b = appendLong(b, int64(len(l)))
			var err error
			for _, v := range l {
				if b, err = appendDefault(b, x.Items(), v); err != nil {
					return nil, err
				}
			}
		}
		return append(b, 0), nil
	case *avro.MapSchema:
		m, ok := def.(map[string]any)
		if !ok {
			return bad()
		}
		if len(m) > 0 {
			b = appendLong(b, int64(len(m)))
			var err error
			for _, k := range sortedKeys(m) {
				b = appendString(b, k)
				if b, err = appendDefault(b, x.Values(), m[k]); err != nil {
					return nil, err
				}
			}
		}
		return append(b, 0), nil
	case *avro.EnumSchema:
		sym, _ := def.(string)
		for i, s := range x.Symbols() {
			if s == sym {
				return appendLong(b, int64(i)), nil
			}
		}
		return bad()
	case *avro.FixedSchema:
		return nil, fmt.Errorf("defaults of fixed %s are not supported", x.FullName())
	}
	var ok bool
	switch s.Type() {
	case avro.Null:
		return b, nil
	case avro.Boolean:
		var v bool
		v, ok = def.(bool)
		b = appendBool(b, v)
	case avro.Int:
		var v int
		v, ok = def.(int)
		ok = ok && v >= math.MinInt32 && v <= math.MaxInt32
		b = appendLong(b, int64(v))
	case avro.Long:
		var v int64
		v, ok = def.(int64)
		b = appendLong(b, v)
	case avro.Float:
		var v float32
		v, ok = def.(float32)
		b = appendFloat(b, v)
	case avro.Double:
		var v float64
		v, ok = def.(float64)
		b = appendDouble(b, v)
	case avro.String:
		var v string
		v, ok = def.(string)
		b = appendString(b, v)
	case avro.Bytes:
		var v []byte
		v, ok = def.([]byte)
		b = appendBytes(b, v)
	}
	if !ok {
		return bad()
	}
	return b, nil
}
