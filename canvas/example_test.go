package canvas_test

import (
	"fmt"

	"github.com/fugue-run/fugue/canvas"
)

// A chain: each result is prepended to the next task's args.
func ExampleChain() {
	c := canvas.Chain(canvas.S("tasks.add", 2, 2), canvas.S("tasks.mul", 8))
	b, err := c.MarshalJSON()
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))
	// Output:
	// {"args":[],"immutable":false,"kwargs":{"tasks":[{"args":[2,2],"immutable":false,"kwargs":{},"options":{},"subtask_type":null,"task":"tasks.add"},{"args":[8],"immutable":false,"kwargs":{},"options":{},"subtask_type":null,"task":"tasks.mul"}]},"options":{},"subtask_type":"chain","task":"celery.chain"}
}

// A chord with options, a callback and an immutable body: Go numbers keep
// Python's int/float distinction on the wire.
func ExampleChord() {
	c := canvas.Chord(
		canvas.Group(canvas.S("tasks.add", 1, 1), canvas.S("tasks.add", 2.5, 2)),
		canvas.SI("tasks.identity", "done"),
	).Set(canvas.Options{TaskID: "wf-1", Countdown: 1.5})
	b, err := c.MarshalJSON()
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))
	// Output:
	// {"args":[],"immutable":false,"kwargs":{"body":{"args":["done"],"immutable":true,"kwargs":{},"options":{},"subtask_type":null,"task":"tasks.identity"},"header":[{"args":[1,1],"immutable":false,"kwargs":{},"options":{},"subtask_type":null,"task":"tasks.add"},{"args":[2.5,2],"immutable":false,"kwargs":{},"options":{},"subtask_type":null,"task":"tasks.add"}],"kwargs":{}},"options":{"countdown":1.5,"task_id":"wf-1"},"subtask_type":"chord","task":"celery.chord"}
}

// Parsing the JSON a Celery producer wrote, and refusing a bad one.
func ExampleParseJSON() {
	sig, err := canvas.ParseJSON([]byte(`{"task": "tasks.add", "args": [2, 2.0],
		"options": {"link": {"task": "tasks.mul", "args": [16]}}}`), canvas.Limits{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s %v %T %T link=%s\n", sig.Task, sig.Kind, sig.Args[0], sig.Args[1], sig.Options.Link[0].Task)

	_, err = canvas.ParseJSON([]byte(`{"task": "celery.chain", "subtask_type": "chain",
		"kwargs": {"tasks": [{"task": "a"}, {"task": "b"}, {"task": "c", "args": {}}]}}`), canvas.Limits{})
	fmt.Println(err)
	// Output:
	// tasks.add task int64 float64 link=tasks.mul
	// kwargs.tasks[2].args: expected a list
}

// Celery's partial rules: args are prepended, an immutable signature
// ignores them.
func ExampleSignature_Merge() {
	add := canvas.S("tasks.add", 2)
	fmt.Println(add.Merge([]any{int64(4)}, nil, nil).Args)
	fmt.Println(canvas.SI("tasks.add", 2, 2).Merge([]any{int64(4)}, nil, nil).Args)
	// Output:
	// [4 2]
	// [2 2]
}

// Chunks run as a group of starmaps, n elements each.
func ExampleSignature_Group() {
	ch := canvas.Chunks(canvas.S("tasks.add"), [][]int{{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}}, 2)
	for _, part := range ch.Group().Tasks {
		fmt.Println(part.Task, part.It)
	}
	// Output:
	// celery.starmap [[1 1] [2 2]]
	// celery.starmap [[3 3] [4 4]]
	// celery.starmap [[5 5]]
}

// Skew spreads a group's members out in time, as Celery's group.skew.
func ExampleSignature_Skew() {
	g := canvas.Group(canvas.S("a"), canvas.S("b"), canvas.S("c")).Skew(0, 0, 10)
	for _, m := range g.Tasks {
		s, _ := m.Options.CountdownSeconds()
		fmt.Println(m.Task, s)
	}
	// Output:
	// a 0
	// b 10
	// c 20
}

// A builder records what it cannot convert; Validate reports it with its
// place.
func ExampleSignature_Validate() {
	c := canvas.Group(canvas.S("tasks.add", 1, 2), canvas.S("tasks.add", make(chan int)))
	fmt.Println(c.Validate(canvas.Limits{}))
	// Output:
	// kwargs.tasks[1].args[0]: unsupported type chan int
}
