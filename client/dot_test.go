package client_test

import (
	"testing"

	"github.com/fugue-run/fugue/client"
)

func TestDOT(t *testing.T) {
	t.Parallel()
	w := &client.Workflow{ID: "w", State: "FAILURE", Tasks: []*client.Task{
		{ID: "w.1", Name: "tasks.add", State: "SUCCESS", Children: []string{"w.2", "w.3"}},
		{ID: "w.2", Name: `odd "name" \ `, State: "FAILURE", ParentID: "w.1"},
		{ID: "w.3", Name: "tasks.progress", State: "PROGRESS", ParentID: "w.1"},
	}}
	want := `digraph "w" {
	rankdir=LR;
	node [shape=box, style="rounded,filled", fontname="Helvetica"];
	label="w: FAILURE";
	"w.1" [label="tasks.add\nSUCCESS", tooltip="w.1", fillcolor="palegreen"];
	"w.2" [label="odd \"name\" \\ \nFAILURE", tooltip="w.2", fillcolor="salmon"];
	"w.3" [label="tasks.progress\nPROGRESS", tooltip="w.3", fillcolor="lightblue"];
	"w.1" -> "w.2";
	"w.1" -> "w.3";
}
`
	if got := w.DOT(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
