package worker

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func TestRegistry(t *testing.T) {
	t.Parallel()
	reg := NewRegistry()
	f := func(context.Context, *Request) (any, error) { return nil, nil }
	reg.Register("tasks.a", f)
	reg.Register("tasks.b", f, MaxRetries(Unlimited), TimeLimit(time.Second), SoftTimeLimit(time.Millisecond),
		DefaultRetryDelay(time.Second), RetryBackoff(2*time.Second, 0), RetryJitter(false), RateLimit("10/m"))

	if got, want := reg.Names(), []string{"celery.map", "celery.starmap", "tasks.a", "tasks.b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names = %v, want %v", got, want)
	}
	a, ok := reg.Lookup("tasks.a")
	if !ok || a.Name != "tasks.a" || a.MaxRetries != 3 || a.DefaultRetryDelay != 3*time.Minute ||
		a.RetryBackoff != 0 || a.RetryBackoffMax != 10*time.Minute || !a.RetryJitter || a.AutoretryFor != nil || a.TimeLimit != 0 {
		t.Errorf("tasks.a defaults = %+v", a)
	}
	b, _ := reg.Lookup("tasks.b")
	if b.MaxRetries != Unlimited || b.TimeLimit != time.Second || b.SoftTimeLimit != time.Millisecond ||
		b.DefaultRetryDelay != time.Second || b.RetryBackoff != 2*time.Second ||
		b.RetryBackoffMax != 10*time.Minute || b.RetryJitter || b.RateLimit != "10/m" {
		t.Errorf("tasks.b options = %+v", b)
	}
	if _, ok := reg.Lookup("tasks.c"); ok {
		t.Error("Lookup of an unregistered name succeeded")
	}
}

func TestRegisterPanics(t *testing.T) {
	t.Parallel()
	f := func(context.Context, *Request) (any, error) { return nil, nil }
	tests := []struct {
		name string
		task string
		f    Func
	}{
		{"empty name", "", f},
		{"reserved name", "celery.map", f},
		{"nil func", "tasks.x", nil},
		{"duplicate", "tasks.dup", f},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := NewRegistry()
			reg.Register("tasks.dup", f)
			defer func() {
				if recover() == nil {
					t.Fatal("Register did not panic")
				}
			}()
			reg.Register(tt.task, tt.f)
		})
	}
}
