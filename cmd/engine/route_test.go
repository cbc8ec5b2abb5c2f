package main

import (
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fugue-run/fugue/internal/kafkatest"
)

func TestAdvertiseURL(t *testing.T) {
	t.Parallel()
	tcp := func(ip string, port int) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: port} }
	for _, c := range []struct {
		flag string
		addr net.Addr
		want string
	}{
		{"", tcp("127.0.0.1", 8080), "http://127.0.0.1:8080"},
		{"", tcp("10.1.2.3", 41000), "http://10.1.2.3:41000"},
		{"", tcp("::1", 8080), "http://[::1]:8080"},
		{"", tcp("0.0.0.0", 8080), ""},
		{"", tcp("::", 8080), ""},
		{"http://engine-1:8080/", tcp("0.0.0.0", 8080), "http://engine-1:8080"},
		{"https://fugue.example/engine-2", tcp("127.0.0.1", 1), "https://fugue.example/engine-2"},
	} {
		got, err := advertiseURL(c.flag, c.addr)
		if err != nil || got != c.want {
			t.Errorf("advertiseURL(%q, %v) = %q, %v; want %q", c.flag, c.addr, got, err, c.want)
		}
	}
	for _, bad := range []string{"engine-1:8080", "ftp://x", "http://", "http://x/?a=1", "http://x/#f"} {
		if _, err := advertiseURL(bad, tcp("127.0.0.1", 1)); err == nil || !strings.Contains(err.Error(), "--advertise") {
			t.Errorf("advertiseURL(%q): %v, want an error naming --advertise", bad, err)
		}
	}
}

// serveProc is one `engine serve` process.
type serveProc struct {
	base string
}

func startServe(t *testing.T, bin string, args ...string) *serveProc {
	t.Helper()
	eng := start(t, filepath.Join(bin, "engine"), append([]string{"serve"}, args...)...)
	return &serveProc{base: startServing(t, eng)}
}

var (
	heldRe      = regexp.MustCompile(`(?m)^fugue_engine_partitions_held ([0-9.e+]+)$`)
	forwardedRe = regexp.MustCompile(`(?m)^fugue_api_forwarded_total\{route="([a-z_]+)"\} ([0-9.e+]+)$`)
)

// metric reads one engine's /metrics.
func (p *serveProc) metrics(t *testing.T) (held int, forwarded map[string]float64) {
	t.Helper()
	e := &e2e{base: p.base}
	_, body := e.do(t, "GET", "/metrics", nil)
	text, _ := body.(string)
	if m := heldRe.FindStringSubmatch(text); m != nil {
		f, _ := strconv.ParseFloat(m[1], 64)
		held = int(f)
	}
	forwarded = map[string]float64{}
	for _, m := range forwardedRe.FindAllStringSubmatch(text, -1) {
		forwarded[m[1]], _ = strconv.ParseFloat(m[2], 64)
	}
	return held, forwarded
}

// TestServeRoutesBetweenProcesses runs two `engine serve` processes in one
// group (each advertising the address --http 127.0.0.1:0 gave it) and a
// worker: every workflow submitted through one engine answers the same
// through both, and the submissions come back as fast as on one engine.
func TestServeRoutesBetweenProcesses(t *testing.T) {
	brokers := strings.Join(kafkatest.Brokers(t), ",")
	bin := buildBinaries(t)
	prefix := kafkatest.Name(t, "route") + "."
	var engines []*serveProc
	for range 2 {
		engines = append(engines, startServe(t, bin, "--brokers", brokers, "--http", "127.0.0.1:0",
			"--data", t.TempDir(), "--prefix", prefix, "--partitions", "8"))
	}
	w := start(t, filepath.Join(bin, "worker"), "--brokers", brokers, "--prefix", prefix, "--concurrency", "4")
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	a, b := engines[0], engines[1]
	// Wait until the two split the partitions.
	deadline := time.Now().Add(90 * time.Second)
	for {
		ha, _ := a.metrics(t)
		hb, _ := b.metrics(t)
		if ha > 0 && hb > 0 && ha+hb == 8 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the engines never split the 8 partitions: %d and %d", ha, hb)
		}
		<-time.After(100 * time.Millisecond) // poll the assignment
	}
	ea, eb := &e2e{base: a.base}, &e2e{base: b.base}
	for i := range 16 {
		id := fmt.Sprintf("serve-route-%d", i)
		start := time.Now()
		status, resp := ea.do(t, "POST", "/v1/workflows", fmt.Appendf(nil, `{"task": "tasks.mul", "args": [%d, 10], "options": {"task_id": %q}}`, i, id))
		if status != 201 {
			t.Fatalf("submit %s through a: %d %v", id, status, resp)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("submit %s through a took %s", id, d)
		}
		sa, wa := eb.do(t, "GET", "/v1/workflows/"+id+"?wait=60s", nil)
		sb, wb := ea.do(t, "GET", "/v1/workflows/"+id, nil)
		if sa != 200 || sb != 200 || fmt.Sprint(wa) != fmt.Sprint(wb) || !strings.Contains(fmt.Sprint(wa), "result:"+strconv.Itoa(i*10)) {
			t.Fatalf("%s: through b %d %v\nthrough a %d %v", id, sa, wa, sb, wb)
		}
	}
	_, fa := a.metrics(t)
	_, fb := b.metrics(t)
	if fa["submit"] == 0 || fb["workflow"] == 0 {
		t.Errorf("forwarded: a %v, b %v; want submissions from a and GETs from b", fa, fb)
	}
}
