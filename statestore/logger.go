package statestore

import (
	"context"
	"fmt"
	"log/slog"
)

// pebbleLogger routes Pebble's messages to slog: its informational chatter
// at debug level, its errors at error level.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	if p.l.Enabled(context.Background(), slog.LevelDebug) {
		p.l.Debug("statestore: pebble: " + fmt.Sprintf(format, args...))
	}
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error("statestore: pebble: " + fmt.Sprintf(format, args...))
}

// Fatalf is called by Pebble when it cannot go on (data corruption): as its
// default logger would exit, this one logs and panics.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := "statestore: pebble: " + fmt.Sprintf(format, args...)
	p.l.Error(msg)
	panic(msg)
}
