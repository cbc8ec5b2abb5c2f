package worker

import (
	"slices"
	"strconv"
	"strings"
)

// Params describes a Python parameter list, def Func(Names..., *args,
// **kwargs), so that a task binds its arguments the way Python binds a
// call and fails with Python's TypeError messages:
//
//	add() missing 1 required positional argument: 'y'
//	add() takes 2 positional arguments but 3 were given
//	add() got multiple values for argument 'x'
//	add() got an unexpected keyword argument 'z'
//
// Every named parameter is required (there are no defaults).
type Params struct {
	// Func is the function name used in messages.
	Func string
	// Names are the parameters, filled by position, then by keyword.
	Names []string
	// VarArgs accepts extra positional arguments (*args).
	VarArgs bool
	// VarKwargs accepts unknown keyword arguments (**kwargs).
	VarKwargs bool
}

// Bind binds args and kwargs to p.Names and returns their values in the
// order of p.Names. Extra positional arguments (allowed with VarArgs) are
// args[len(p.Names):]; unknown keywords (allowed with VarKwargs) stay in
// kwargs. Errors are *TaskError of type TypeError. Keywords are checked in
// sorted order, since a map keeps no call order.
func (p Params) Bind(args []any, kwargs map[string]any) ([]any, error) {
	out := make([]any, len(p.Names))
	set := make([]bool, len(p.Names))
	for i := range min(len(args), len(p.Names)) {
		out[i], set[i] = args[i], true
	}
	keys := make([]string, 0, len(kwargs))
	for k := range kwargs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		i := slices.Index(p.Names, k)
		switch {
		case i < 0 && p.VarKwargs:
		case i < 0:
			return nil, p.typeError("got an unexpected keyword argument '" + k + "'")
		case set[i]:
			return nil, p.typeError("got multiple values for argument '" + k + "'")
		default:
			out[i], set[i] = kwargs[k], true
		}
	}
	if len(args) > len(p.Names) && !p.VarArgs {
		return nil, p.typeError("takes " + plural(len(p.Names), "positional argument") +
			" but " + strconv.Itoa(len(args)) + " " + wasWere(len(args)) + " given")
	}
	var missing []string
	for i, ok := range set {
		if !ok {
			missing = append(missing, "'"+p.Names[i]+"'")
		}
	}
	if len(missing) > 0 {
		return nil, p.typeError("missing " + plural(len(missing), "required positional argument") +
			": " + andList(missing))
	}
	return out, nil
}

func (p Params) typeError(msg string) error {
	return &TaskError{Type: "TypeError", Message: p.Func + "() " + msg}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

// andList joins as Python does in "missing" messages: 'a' / 'a' and 'b' /
// 'a', 'b', and 'c'.
func andList(s []string) string {
	switch len(s) {
	case 1:
		return s[0]
	case 2:
		return s[0] + " and " + s[1]
	}
	return strings.Join(s[:len(s)-1], ", ") + ", and " + s[len(s)-1]
}
