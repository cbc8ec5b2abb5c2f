// Package value defines the dynamic values that flow through Fugue: task
// arguments, keyword arguments, results and progress metadata.
//
// A value is a Go `any` holding exactly one of these concrete types:
//
//	nil              JSON null,    Avro null
//	bool             JSON boolean, Avro boolean
//	int64            JSON integer, Avro long    (integers stay integers)
//	float64          JSON number with a fraction or exponent, Avro double
//	string           JSON string,  Avro string
//	[]byte           (no JSON form; emitted as a string), Avro bytes
//	[]any            JSON array,   Avro array<Value>
//	map[string]any   JSON object,  Avro map<Value>
//
// No other type (int, float32, json.Number, structs) is a value; Normalize
// converts the common Go types into this set and reports where it fails.
// JSON decoding keeps the distinction Python makes: `4` is an int64 and `4.0`
// a float64, and encoding writes a float64 that has no fraction as `4.0` so
// that it reads back as a float in any language.
//
// The functions of this package:
//
//	DecodeJSON, NewDecoder   JSON -> value, keeping int/float apart
//	DecodeCanvasJSON, Lazy   a canvas's JSON, list members decoded on demand
//	AppendJSON, MarshalJSON  value -> JSON, deterministic, Python-compatible
//	Normalize                Go value -> value (int, float32, []string, ...)
//	Check                    is this a value tree?
//	Equal, Clone             type-strict deep equality, deep copy
//	TypeName                 Python's name of a value's type (int, str, ...)
//
// Errors about a part of a tree are *PathError values whose Path says where
// (`[2].name`).
package value
