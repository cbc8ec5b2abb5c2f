package worker

import (
	"reflect"
	"testing"
)

func TestParamsBind(t *testing.T) {
	t.Parallel()
	add := Params{Func: "add", Names: []string{"x", "y"}}
	three := Params{Func: "f", Names: []string{"a", "b", "c"}}
	one := Params{Func: "identity", Names: []string{"x"}}
	star := Params{Func: "sleep", Names: []string{"seconds"}, VarArgs: true}
	kw := Params{Func: "sleeping", Names: []string{"i"}, VarKwargs: true}
	none := Params{Func: "f"}
	tests := []struct {
		name    string
		p       Params
		args    []any
		kwargs  map[string]any
		want    []any
		wantErr string
	}{
		{"positional", add, []any{int64(1), int64(2)}, nil, []any{int64(1), int64(2)}, ""},
		{"keywords", add, nil, map[string]any{"y": int64(2), "x": int64(1)}, []any{int64(1), int64(2)}, ""},
		{"mixed", add, []any{int64(1)}, map[string]any{"y": int64(2)}, []any{int64(1), int64(2)}, ""},
		{"missing one", add, []any{int64(1)}, nil, nil, "add() missing 1 required positional argument: 'y'"},
		{"missing two", add, nil, nil, nil, "add() missing 2 required positional arguments: 'x' and 'y'"},
		{"missing three", three, nil, nil, nil, "f() missing 3 required positional arguments: 'a', 'b', and 'c'"},
		{"too many", add, []any{int64(1), int64(2), int64(3)}, nil, nil, "add() takes 2 positional arguments but 3 were given"},
		{"too many one", one, []any{int64(1), int64(2)}, nil, nil, "identity() takes 1 positional argument but 2 were given"},
		{"too many none", none, []any{int64(1)}, nil, nil, "f() takes 0 positional arguments but 1 was given"},
		{"multiple values", add, []any{int64(1)}, map[string]any{"x": int64(2)}, nil, "add() got multiple values for argument 'x'"},
		{"multiple values before too many", one, []any{int64(1), int64(2)}, map[string]any{"x": int64(2)}, nil, "identity() got multiple values for argument 'x'"},
		{"unexpected keyword", add, []any{int64(1), int64(2)}, map[string]any{"z": int64(3)}, nil, "add() got an unexpected keyword argument 'z'"},
		{"keywords in sorted order", add, nil, map[string]any{"b": 1, "a": 2}, nil, "add() got an unexpected keyword argument 'a'"},
		{"varargs", star, []any{int64(1), "x", "y"}, nil, []any{int64(1)}, ""},
		{"varkwargs", kw, []any{int64(1)}, map[string]any{"extra": true}, []any{int64(1)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.p.Bind(tt.args, tt.kwargs)
			if tt.wantErr != "" {
				te, ok := err.(*TaskError)
				if !ok || te.Type != "TypeError" || te.Message != tt.wantErr {
					t.Fatalf("Bind error = %#v, want TypeError %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Bind: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Bind = %#v, want %#v", got, tt.want)
			}
		})
	}
}
