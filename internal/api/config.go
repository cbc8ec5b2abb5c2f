package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fugue-run/fugue/canvas"
)

// Config configures NewHandler. The zero value is usable: every field's
// comment states its default.
type Config struct {
	// Limits bound the canvases POST /v1/workflows accepts; a body larger
	// than Limits.MaxBytes is refused with 413. Zero fields take the
	// defaults of canvas.Limits (16 MiB, depth 64, 1,000,000 signatures).
	Limits canvas.Limits
	// Token, when set, is required as "Authorization: Bearer <Token>" on
	// every /v1 route (401 otherwise). /healthz and /metrics stay open.
	// Default "": no authentication.
	Token string
	// MaxWait caps the ?wait of a long poll. Default 5 minutes.
	MaxWait time.Duration
	// SubmitWait is how long POST /v1/workflows waits, after the backend
	// accepted a submission, for the engine to fold it, so that a GET
	// right after the 201 finds the workflow and a canvas the engine
	// rejects is answered with 400. When it passes the answer is 201 all
	// the same. Default 10 seconds; negative: do not wait.
	SubmitWait time.Duration
	// Metrics is served at GET /metrics when set. Default nil: no route.
	Metrics http.Handler
	// Logger logs refused requests and backend failures. Default: discard.
	Logger *slog.Logger
	// NewID mints the id of a workflow whose root has no task_id. Default:
	// a random UUID (version 4) from crypto/rand.
	NewID func() string
	// Router routes requests between engines that share the partitions of
	// the events topic: a request about a workflow another engine owns is
	// forwarded to it, a task id this engine does not know is asked of the
	// others. Default nil: this engine answers for every workflow (a
	// single engine).
	Router Router
	// RouteWait is how long a request waits, while the group rebalances or
	// the owner catches up, for an engine to answer for its workflow's
	// partition; past it the answer is 503 with Retry-After. Default 10
	// seconds.
	RouteWait time.Duration
	// Client sends the requests forwarded to other engines. Default: no
	// proxy from the environment, dialing bounded to 3 seconds, no
	// redirects, no other time limit (a forwarded long poll lasts its
	// wait and ends with the client's request).
	Client *http.Client
	// Registerer receives the API's metrics (see the package comment).
	// Default nil: none are recorded.
	Registerer prometheus.Registerer
}

// Defaults of Config.
const (
	DefaultMaxWait    = 5 * time.Minute
	DefaultSubmitWait = 10 * time.Second
	DefaultRouteWait  = 10 * time.Second
)

func (c Config) withDefaults() Config {
	lim := canvas.DefaultLimits()
	if c.Limits.MaxBytes <= 0 {
		c.Limits.MaxBytes = lim.MaxBytes
	}
	if c.Limits.MaxDepth <= 0 {
		c.Limits.MaxDepth = lim.MaxDepth
	}
	if c.Limits.MaxNodes <= 0 {
		c.Limits.MaxNodes = lim.MaxNodes
	}
	if c.MaxWait <= 0 {
		c.MaxWait = DefaultMaxWait
	}
	if c.SubmitWait == 0 {
		c.SubmitWait = DefaultSubmitWait
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.NewID == nil {
		c.NewID = NewUUID
	}
	if c.RouteWait <= 0 {
		c.RouteWait = DefaultRouteWait
	}
	if c.Client == nil {
		c.Client = newForwardClient()
	}
	return c
}
