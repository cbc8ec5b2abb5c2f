package api

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadAll(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("0123456789", 1000)
	for _, tc := range []struct {
		name    string
		size    int64
		wantCap int // 0: any
	}{
		{"known size", int64(len(body)), len(body) + 1},
		{"unknown size", -1, 0},
		{"size too small", 10, 0},
		{"size too large", int64(len(body)) + 100, len(body) + 101},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One byte a read, so that every path through the loop runs.
			got, err := readAll(iotest.OneByteReader(strings.NewReader(body)), tc.size)
			if err != nil || string(got) != body {
				t.Fatalf("readAll = %d bytes, %v; want the %d bytes of the body", len(got), err, len(body))
			}
			if tc.wantCap != 0 && cap(got) != tc.wantCap {
				t.Errorf("cap = %d, want %d: the body was not read into one buffer of its size", cap(got), tc.wantCap)
			}
		})
	}
	t.Run("empty", func(t *testing.T) {
		got, err := readAll(bytes.NewReader(nil), 0)
		if err != nil || len(got) != 0 {
			t.Fatalf("readAll = %q, %v", got, err)
		}
	})
	t.Run("error", func(t *testing.T) {
		want := io.ErrUnexpectedEOF
		_, err := readAll(iotest.ErrReader(want), 100)
		if err != want {
			t.Fatalf("err = %v, want %v", err, want)
		}
	})
}
