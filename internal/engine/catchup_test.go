package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestRestartIfTransient(t *testing.T) {
	t.Parallel()
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, c := range []struct {
		err     error
		restart bool
	}{
		{kerr.NotCoordinator, true},
		{kerr.CoordinatorNotAvailable, true},
		{kerr.UnknownTopicID, true},
		{kerr.UnstableOffsetCommit, true},
		{dial, true},
		{io.EOF, true},
		{context.DeadlineExceeded, true},
		{kerr.UnknownServerError, false},
		{&kadm.AuthError{Err: kerr.GroupAuthorizationFailed}, false},
		{&kgo.ErrDataLoss{Topic: "t", Partition: 0, ConsumedTo: 9, ResetTo: 4}, false},
		{kgo.ErrClientClosed, false},
	} {
		err := restartIfTransient(fmt.Errorf("engine: catch up partition 0: %w", c.err))
		if got := errors.Is(err, errRestart); got != c.restart {
			t.Errorf("restartIfTransient(%v) = %v, restart %v; want %v", c.err, err, got, c.restart)
		}
		if !errors.Is(err, c.err) {
			t.Errorf("restartIfTransient(%v) = %v, which lost the cause", c.err, err)
		}
	}
	if err := restartIfTransient(nil); err != nil {
		t.Errorf("restartIfTransient(nil) = %v", err)
	}
}
