package worker

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	type name string
	three := 3
	cycle := map[string]any{}
	cycle["self"] = cycle
	tests := []struct {
		name    string
		in      any
		want    any
		wantErr string
	}{
		{"nil", nil, nil, ""},
		{"int", 3, int64(3), ""},
		{"uint8", uint8(3), int64(3), ""},
		{"float32", float32(1.5), 1.5, ""},
		{"float32 shortest", float32(0.1), 0.1, ""},
		{"inf", math.Inf(1), nil, "+Inf has no JSON form"},
		{"nan in list", []any{1.0, math.NaN()}, nil, "[1]: NaN has no JSON form"},
		{"pointer", &three, int64(3), ""},
		{"nil pointer", (*int)(nil), nil, ""},
		{"cycle", cycle, nil, "nested deeper than 10000 levels"},
		{"named string", name("x"), "x", ""},
		{"bytes", []byte("ab"), []byte("ab"), ""},
		{"strings", []string{"a", "b"}, []any{"a", "b"}, ""},
		{"nested", map[string][]int{"a": {1}}, map[string]any{"a": []any{int64(1)}}, ""},
		{"any with int", []any{1, "x"}, []any{int64(1), "x"}, ""},
		{"array", [2]int{1, 2}, []any{int64(1), int64(2)}, ""},
		{"nil slice", []string(nil), []any{}, ""},
		{"nil map", map[string]int(nil), map[string]any{}, ""},
		{"struct", struct{}{}, nil, "struct {} is not a value"},
		{"deep chan", map[string]any{"a": []any{1, make(chan int)}}, nil, ".a[1]: chan int is not a value"},
		{"pointer to struct", &struct{}{}, nil, "struct {} is not a value"},
		{"int keys", map[int]int{1: 1}, nil, "map[int]int has keys that are not strings"},
		{"big uint", uint64(math.MaxUint64), nil, "18446744073709551615 is out of the int64 range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := normalize(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("normalize error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("normalize: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("normalize = %#v, want %#v", got, tt.want)
			}
		})
	}
}
