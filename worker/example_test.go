package worker_test

import (
	"context"
	"fmt"

	"github.com/fugue-run/fugue/worker"
)

func Example() {
	reg := worker.NewRegistry()
	reg.Register("tasks.double", func(_ context.Context, req *worker.Request) (any, error) {
		v, err := worker.Params{Func: "double", Names: []string{"x"}}.Bind(req.Args, req.Kwargs)
		if err != nil {
			return nil, err
		}
		x, ok := v[0].(int64)
		if !ok {
			return nil, worker.Fail("TypeError", "double() wants an int")
		}
		return 2 * x, nil
	})

	fmt.Println(worker.Execute(context.Background(), reg, &worker.Request{
		Name: "tasks.double", Args: []any{int64(21)},
	}, nil))
	fmt.Println(worker.Execute(context.Background(), reg, &worker.Request{
		Name: "tasks.double",
	}, nil))
	fmt.Println(worker.Execute(context.Background(), reg, &worker.Request{
		Name:   worker.MapTask,
		Kwargs: map[string]any{"task": map[string]any{"task": "tasks.double"}, "it": []any{int64(1), int64(2)}},
	}, nil))
	fmt.Println(worker.Execute(context.Background(), reg, &worker.Request{Name: "tasks.nope"}, nil))
	// Output:
	// succeeded: 42
	// failed: TypeError: double() missing 1 required positional argument: 'x'
	// succeeded: [2, 4]
	// failed: NotRegistered: 'tasks.nope'
}
