package statestore

import (
	"fmt"
	"log/slog"

	"github.com/fugue-run/fugue/canvas"
)

// Option configures Open.
type Option func(*config)

// Defaults of the options.
const (
	// DefaultCacheSize is Pebble's block cache size: 64 MiB.
	DefaultCacheSize = 64 << 20
	// DefaultPlanCacheSize is how many compiled plans the store keeps.
	DefaultPlanCacheSize = 10_000
)

type config struct {
	logger        *slog.Logger
	cacheSize     int64
	planCacheSize int
	nodeCacheSize int
	limits        canvas.Limits
}

func defaultConfig() config {
	return config{
		logger:        slog.New(slog.DiscardHandler),
		cacheSize:     DefaultCacheSize,
		planCacheSize: DefaultPlanCacheSize,
	}
}

func (c *config) validate() error {
	if c.cacheSize < 0 {
		return fmt.Errorf("statestore: cache size %d is negative", c.cacheSize)
	}
	if c.nodeCacheSize < 0 {
		return fmt.Errorf("statestore: node cache size %d is negative", c.nodeCacheSize)
	}
	if c.planCacheSize < 1 {
		return fmt.Errorf("statestore: plan cache size %d, want at least 1", c.planCacheSize)
	}
	return nil
}

// WithLogger sets the logger. The store logs little (opening, closing);
// Pebble's own messages go to it at debug level, its errors at error
// level. Default: discard everything. A nil logger keeps the default.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithCacheSize sets the size in bytes of Pebble's block cache. Default
// DefaultCacheSize (64 MiB); 0 leaves no room for blocks beyond what the
// memtables do not use. Pebble counts its memtables against the cache,
// so the store asks Pebble for this size plus room for two memtables.
func WithCacheSize(bytes int64) Option {
	return func(c *config) { c.cacheSize = bytes }
}

// WithPlanCacheSize sets how many compiled plans the store keeps across
// transactions, least recently used first out. A plan is derived from a
// workflow's canvas, so a plan not in the cache is compiled again from the
// stored canvas when its workflow is next read. Default
// DefaultPlanCacheSize (10,000); at least 1.
func WithPlanCacheSize(n int) Option {
	return func(c *config) { c.planCacheSize = n }
}

// WithNodeCacheSize keeps up to n committed nodes in memory across
// transactions, so that a transaction reads a node it did not write from
// memory instead of Pebble. Only workflows submitted through this Store
// are cached, each whole (a workflow of more than n nodes never is), and a
// completed workflow's nodes are dropped; when the cache is full, whole
// workflows go. A cached node costs 144 bytes plus its values, which
// it keeps alive. Default 0: no node cache, every transaction reads the
// nodes it needs from Pebble. Replay, which folds a whole log into a fresh
// store, turns it on; a long-running engine that holds memory for the API
// leaves it off.
func WithNodeCacheSize(n int) Option {
	return func(c *config) { c.nodeCacheSize = n }
}

// WithLimits sets the limits a stored canvas is parsed with when its plan
// is compiled again. They must be the limits the projector's Fold accepts
// canvases with (projector.Config.Limits), or a canvas that Fold accepted
// could fail to load. Default: the zero canvas.Limits, which stands for
// canvas.DefaultLimits.
func WithLimits(l canvas.Limits) Option {
	return func(c *config) { c.limits = l }
}
