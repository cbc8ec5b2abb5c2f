package value

import "fmt"

// TypeName returns the Python name of v's type, for messages such as
// "TypeError: unsupported operand type(s) for +: 'int' and 'str'":
// NoneType, bool, int, float, str, bytes, list or dict. For anything that
// is not a value it returns the Go type, as "go:" + fmt's %T ("go:int32").
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	default:
		return fmt.Sprintf("go:%T", v)
	}
}

// unsupported is the message for a Go value outside the value set.
func unsupported(v any) string {
	return fmt.Sprintf("unsupported type %T", v)
}
