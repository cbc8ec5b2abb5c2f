package client_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/client"
	"github.com/fugue-run/fugue/internal/api"
)

func TestGroupJoin(t *testing.T) {
	t.Parallel()
	_, _, c := setup(t, api.Config{})
	sig := canvas.Group(
		canvas.S("tasks.add", 1, 1),
		canvas.Chain(canvas.S("tasks.add", 2, 2), canvas.S("tasks.mul", 10)), // its result is the mul's
		canvas.Group(canvas.S("tasks.identity", 2.5)),                        // spliced in
	)
	res, err := c.Submit(ctx(t), sig)
	if err != nil {
		t.Fatal(err)
	}
	g, err := res.Group()
	if err != nil {
		t.Fatal(err)
	}
	if g.ID != "wf1" || len(g.Members) != 3 || g.String() != "group wf1 of 3 members" {
		t.Errorf("group %v %v", g, g.Members)
	}
	got, err := g.Join(ctx(t), time.Minute)
	if want := []any{int64(2), int64(40), 2.5}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Join = %#v, %v; want %#v", got, err, want)
	}
	if n, err := g.CompletedCount(ctx(t)); n != 3 || err != nil {
		t.Errorf("CompletedCount = %d, %v", n, err)
	}
	if w, err := g.Waiting(ctx(t)); w || err != nil {
		t.Errorf("Waiting = %v, %v", w, err)
	}
	// The same from the JSON, and from a handle given the canvas.
	res2, err := c.SubmitJSON(ctx(t), mustJSON(t, sig))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*client.AsyncResult{res2, c.Result(res2.ID, sig)} {
		g, err := r.Group()
		if err != nil {
			t.Fatal(err)
		}
		if got, err := g.Join(ctx(t), 0); err != nil || len(got) != 3 {
			t.Errorf("Join = %v, %v", got, err)
		}
	}
}

func TestChordGroupIsItsHeader(t *testing.T) {
	t.Parallel()
	_, _, c := setup(t, api.Config{})
	res, err := c.Submit(ctx(t), canvas.Chord(canvas.Group(canvas.S("tasks.add", 1, 1), canvas.S("tasks.add", 2, 2)), canvas.S("tasks.tsum")))
	if err != nil {
		t.Fatal(err)
	}
	g, err := res.Group()
	if err != nil {
		t.Fatal(err)
	}
	got, err := g.Join(ctx(t), 0)
	if want := []any{int64(2), int64(4)}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Join = %#v, %v", got, err)
	}
	if v, err := res.Get(ctx(t), 0); v != int64(6) || err != nil {
		t.Errorf("Get = %#v, %v", v, err)
	}
}

func TestGroupFailureAndWaiting(t *testing.T) {
	t.Parallel()
	b, _, c := setup(t, api.Config{})
	gate := b.Gate("test.gate")
	res, err := c.Submit(ctx(t), canvas.Group(
		canvas.S("tasks.add", 1, 1),
		canvas.Chain(canvas.S("tasks.fail"), canvas.S("tasks.add", 1)), // its last task never runs
		canvas.S("test.gate", 7),
	))
	if err != nil {
		t.Fatal(err)
	}
	g, err := res.Group()
	if err != nil {
		t.Fatal(err)
	}
	<-gate.Entered()
	if w, err := g.Waiting(ctx(t)); !w || err != nil {
		t.Errorf("Waiting = %v, %v", w, err)
	}
	if _, err := g.Join(ctx(t), 20*time.Millisecond); !errors.Is(err, client.ErrTimeout) {
		t.Errorf("Join before the gate opens: %v", err)
	}
	gate.Release()
	tasks, err := g.Collect(ctx(t), 0)
	if err != nil || len(tasks) != 3 {
		t.Fatalf("Collect = %v, %v", tasks, err)
	}
	if tasks[0].State != "SUCCESS" || tasks[1].State != "PENDING" || tasks[1].Error == nil ||
		tasks[1].Error.Type != "ExpectedException" || tasks[2].Result != int64(7) {
		t.Errorf("Collect: %+v %+v %+v", tasks[0], tasks[1], tasks[2])
	}
	_, err = g.Join(ctx(t), 0)
	var tf *client.TaskFailedError
	if !errors.As(err, &tf) || tf.Type != "ExpectedException" || tf.TaskID != "wf1.3" {
		t.Errorf("Join: %#v", err)
	}
	if n, err := g.CompletedCount(ctx(t)); n != 2 || err != nil {
		t.Errorf("CompletedCount = %d, %v", n, err)
	}
}

func TestGroupNeedsAGroupAndItsCanvas(t *testing.T) {
	t.Parallel()
	_, _, c := setup(t, api.Config{})
	res, err := c.Submit(ctx(t), canvas.Chain(canvas.S("tasks.add", 1, 1), canvas.S("tasks.add", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := res.Group(); !errors.Is(err, client.ErrNotGroup) {
		t.Errorf("chain: %v", err)
	}
	if _, err := c.Result(res.ID, nil).Group(); err == nil {
		t.Error("Group without a canvas")
	}
}

func mustJSON(t *testing.T, s *canvas.Signature) []byte {
	t.Helper()
	b, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
