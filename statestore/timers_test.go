package statestore

import (
	"errors"
	"reflect"
	"testing"
)

func TestTimersInDueOrder(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	all := []Timer{
		{Due: 300, Workflow: "w1", Task: "w1.1", Name: "eta"},
		{Due: 1 << 40, Workflow: "w0", Task: "w0", Name: "expires"},
		{Due: 5, Workflow: "w2", Task: "w2.3", Name: "retry:1"},
		{Due: 300, Workflow: "w0", Task: "w0.1", Name: "eta"},
		{Due: 256, Workflow: "w/x", Task: "t/y", Name: "with\x00nul"},
		{Due: 0, Workflow: "", Task: "", Name: ""},
	}
	txn := s.Begin()
	for _, tm := range all {
		txn.PutTimer(tm)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	want := []Timer{all[5], all[2], all[4], all[3], all[0], all[1]}
	if got := collectTimers(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("timers\n%v\nwant\n%v", got, want)
	}
	// Stop early.
	n := 0
	if err := s.Timers(func(Timer) bool { n++; return n < 2 }); err != nil || n != 2 {
		t.Fatalf("stopped after %d: %v", n, err)
	}

	txn = s.Begin()
	txn.DeleteTimer(all[3])
	txn.DeleteTimer(Timer{Due: 1, Workflow: "never", Task: "set", Name: "x"})
	txn.PutTimer(Timer{Due: 7, Workflow: "w9", Task: "w9", Name: "eta"})
	txn.DeleteTimer(Timer{Due: 7, Workflow: "w9", Task: "w9", Name: "eta"}) // the last word wins
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	want = []Timer{all[5], all[2], all[4], all[0], all[1]}
	if got := collectTimers(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("after deletes\n%v\nwant\n%v", got, want)
	}
}

// TestTimerBeforeTheEpoch checks that a timer due before 1970 (an expires
// in the past) is kept as due at 1970, and deleted by the timer it was put
// with.
func TestTimerBeforeTheEpoch(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	tm := Timer{Due: -380258047917000, Workflow: "w", Task: "w", Name: "expires"}
	txn := s.Begin()
	txn.PutTimer(tm)
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	want := tm
	want.Due = 0
	if got := collectTimers(t, s); !reflect.DeepEqual(got, []Timer{want}) {
		t.Fatalf("timers %v, want %v", got, want)
	}
	txn = s.Begin()
	txn.DeleteTimer(tm)
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := collectTimers(t, s); len(got) != 0 {
		t.Fatalf("timers %v after the delete", got)
	}
}

func TestTimerRefused(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	for _, tm := range []Timer{{Workflow: "a\x00b"}, {Task: "\x00"}} {
		txn := s.Begin()
		txn.PutTimer(tm)
		if err := txn.Commit(); err == nil {
			t.Errorf("timer %+v accepted", tm)
		}
	}
	if err := s.db.Set([]byte(prefixTimer+"bad"), nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Timers(func(Timer) bool { return true }); !errors.Is(err, errTimerKey) {
		t.Fatalf("a malformed key: %v", err)
	}
}

func collectTimers(t *testing.T, s *Store) []Timer {
	t.Helper()
	var got []Timer
	if err := s.Timers(func(tm Timer) bool { got = append(got, tm); return true }); err != nil {
		t.Fatal(err)
	}
	return got
}
