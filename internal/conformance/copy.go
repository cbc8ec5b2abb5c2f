package conformance

// Copy returns the case with every task_id its canvas names made unique by
// suffix ("<id>-<suffix>"), in the canvas and in the expectations alike, so
// that many copies of one case can run side by side on one log.
func (c *Case) Copy(suffix string) *Case {
	named := map[string]bool{}
	taskIDs(c.Canvas, named)
	ids := make(map[string]string, len(named))
	for id := range named {
		ids[id] = id + "-" + suffix
	}
	return &Case{
		Name:   c.Name,
		Canvas: renameIDs(c.Canvas, ids).(map[string]any),
		Expect: renameIDs(c.Expect, ids).(map[string]any),
	}
}

// renameIDs returns v with every string in ids replaced by ids[s].
func renameIDs(v any, ids map[string]string) any {
	switch x := v.(type) {
	case string:
		if n, ok := ids[x]; ok {
			return n
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = renameIDs(x[i], ids)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = renameIDs(e, ids)
		}
		return out
	}
	return v
}

// taskIDs collects every options.task_id of a canvas.
func taskIDs(v any, into map[string]bool) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			taskIDs(e, into)
		}
	case map[string]any:
		if o, ok := x["options"].(map[string]any); ok {
			if id, ok := o["task_id"].(string); ok && id != "" {
				into[id] = true
			}
		}
		for _, e := range x {
			taskIDs(e, into)
		}
	}
}
