package client

import (
	"strings"
)

// DOT returns the workflow's result graph in Graphviz's DOT language: one
// node per task, labelled with its name and state and coloured by state,
// and an edge from each task to every task its outcome started (chain
// successors, callbacks, errbacks). Render it with `dot -Tsvg`.
func (w *Workflow) DOT() string {
	var b strings.Builder
	b.WriteString("digraph ")
	b.WriteString(dotQuote(w.ID))
	b.WriteString(" {\n\trankdir=LR;\n\tnode [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n")
	b.WriteString("\tlabel=")
	b.WriteString(dotQuote(w.ID + ": " + w.State))
	b.WriteString(";\n")
	for _, t := range w.Tasks {
		b.WriteString("\t")
		b.WriteString(dotQuote(t.ID))
		b.WriteString(" [label=")
		b.WriteString(dotQuote(t.Name + "\n" + t.State))
		b.WriteString(", tooltip=")
		b.WriteString(dotQuote(t.ID))
		b.WriteString(", fillcolor=")
		b.WriteString(dotQuote(stateColor(t.State)))
		b.WriteString("];\n")
	}
	for _, t := range w.Tasks {
		for _, c := range t.Children {
			b.WriteString("\t")
			b.WriteString(dotQuote(t.ID))
			b.WriteString(" -> ")
			b.WriteString(dotQuote(c))
			b.WriteString(";\n")
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// dotQuote writes s as a DOT string: quotes and backslashes escaped, line
// breaks as \n (a centred line break in a label).
func dotQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func stateColor(state string) string {
	switch state {
	case "SUCCESS":
		return "palegreen"
	case "FAILURE":
		return "salmon"
	case "REVOKED":
		return "lightgrey"
	case "PENDING":
		return "white"
	case "RETRY":
		return "orange"
	default: // STARTED, PROGRESS and other custom states
		return "lightblue"
	}
}
