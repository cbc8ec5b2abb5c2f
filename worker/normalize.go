package worker

import "github.com/fugue-run/fugue/value"

// normalize returns v as a value (see package value), converting the
// common Go types a task may return (int, float32, []string, ...), or an
// error that says where v is not one.
func normalize(v any) (any, error) {
	if value.Check(v) == nil {
		return v, nil // already a value: no copy
	}
	return value.Normalize(v)
}
