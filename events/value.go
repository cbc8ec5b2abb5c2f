package events

import (
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/fugue-run/fugue/value"
)

// The Value record's only field is the union
// [null, boolean, long, double, string, bytes, array<Value>, map<Value>];
// a record adds nothing to the binary form, so a Value is its branch number
// (a zigzag varint, one byte here) followed by the branch.
const (
	valueNull = iota
	valueBoolean
	valueLong
	valueDouble
	valueString
	valueBytes
	valueArray
	valueMap
)

// appendValue appends v as a Value. depth counts the arrays and maps that
// enclose v.
func appendValue(b []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return appendLong(b, valueNull), nil
	case bool:
		return appendBool(appendLong(b, valueBoolean), x), nil
	case int64:
		return appendLong(appendLong(b, valueLong), x), nil
	case float64:
		return appendDouble(appendLong(b, valueDouble), x), nil
	case string:
		if !utf8.ValidString(x) {
			return b, ErrInvalidUTF8
		}
		return appendString(appendLong(b, valueString), x), nil
	case []byte:
		return appendBytes(appendLong(b, valueBytes), x), nil
	case []any:
		return appendList(appendLong(b, valueArray), x, depth+1)
	case map[string]any:
		return appendDict(appendLong(b, valueMap), x, depth+1)
	case *value.Lazy:
		return appendLazy(b, x, depth)
	default:
		return b, fmt.Errorf("%w %T", ErrUnsupportedValue, v)
	}
}

// appendList appends an array<Value> at nesting level depth; nil is an
// empty array.
func appendList(b []byte, l []any, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return b, ErrTooDeep
	}
	if len(l) > 0 {
		b = appendLong(b, int64(len(l)))
		var err error
		for i, v := range l {
			if b, err = appendValue(b, v, depth); err != nil {
				return b, errAt(err, "["+strconv.Itoa(i)+"]")
			}
		}
	}
	return append(b, 0), nil
}

// appendDict appends a map<Value> at nesting level depth, keys in sorted
// order so that equal maps encode to equal bytes; nil is an empty map.
func appendDict(b []byte, m map[string]any, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return b, ErrTooDeep
	}
	if len(m) == 0 {
		return append(b, 0), nil
	}
	var small [16]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = appendLong(b, int64(len(keys)))
	var err error
	for _, k := range keys {
		if !utf8.ValidString(k) {
			return b, errAt(ErrInvalidUTF8, "["+strconv.Quote(k)+"]")
		}
		b = appendString(b, k)
		if b, err = appendValue(b, m[k], depth); err != nil {
			return b, errAt(err, "["+strconv.Quote(k)+"]")
		}
	}
	return append(b, 0), nil
}

// value reads a Value.
func (r *reader) value() any {
	start := r.pos
	return r.valueOf(start, r.long())
}

// valueOf reads the rest of a Value that starts at start, once its branch
// is read.
func (r *reader) valueOf(start int, branch int64) any {
	switch branch {
	case valueNull:
		return nil
	case valueBoolean:
		return r.boolean()
	case valueLong:
		return r.long()
	case valueDouble:
		return r.double()
	case valueString:
		return r.strValue()
	case valueBytes:
		return r.bytes()
	case valueArray:
		return r.list()
	case valueMap:
		return r.dict()
	default:
		r.failMalformedBranch(start, "Value", branch)
		return nil
	}
}

// strValue reads a string Value. One equal to the last one read is that
// one again, boxed once: the members of a chord of 100,000 tasks.add
// share one "tasks.add" instead of 100,000 strings and boxes.
func (r *reader) strValue() any {
	b := r.raw()
	if r.lastStr != nil && string(b) == r.lastStr.(string) {
		return r.lastStr
	}
	v := any(string(b))
	r.lastStr = v
	return v
}

// minValue is the fewest bytes a Value takes (null: its branch number).
const minValue = 1

// list reads an array<Value>; never nil unless the read failed.
func (r *reader) list() []any {
	if !r.enter(MaxDepth) {
		return nil
	}
	defer r.leave()
	n := r.blockCount(minValue)
	l := make([]any, 0, prealloc(n))
	for n > 0 {
		for i := 0; i < n && r.err == nil; i++ {
			l = append(l, r.value())
		}
		n = r.blockCount(minValue)
	}
	return l
}

// dict reads a map<Value>; never nil unless the read failed. A key that
// repeats keeps its last value.
func (r *reader) dict() map[string]any { return r.dictAt(placeOther) }

// key reads a dict key. The keys of Celery's signature shape are not
// copied: a chord of 100,000 tasks carries 600,000 of them.
func (r *reader) key() string {
	b := r.raw()
	switch string(b) {
	case keyTask:
		return keyTask
	case keyArgs:
		return keyArgs
	case keyKwargs:
		return keyKwargs
	case keyOptions:
		return keyOptions
	case keySubtaskType:
		return keySubtaskType
	case keyImmutable:
		return keyImmutable
	case "tasks":
		return "tasks"
	case "header":
		return "header"
	case "body":
		return "body"
	case "task_id":
		return "task_id"
	}
	return string(b)
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
