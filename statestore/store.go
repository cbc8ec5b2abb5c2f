package statestore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/projector"
)

// Errors of the store.
var (
	// ErrFormat marks a directory that holds no store of this format: an
	// unknown format version, or data without a version.
	ErrFormat = errors.New("statestore: unknown store format")
	// ErrReadOnly is returned by the write methods of a Reader.
	ErrReadOnly = errors.New("statestore: read-only view")
	// ErrTxnDone is returned by a Txn used after Commit or Discard.
	ErrTxnDone = errors.New("statestore: transaction already committed or discarded")
	// ErrOffsetRegressed is returned by Commit when a transaction would
	// move an applied offset back.
	ErrOffsetRegressed = errors.New("statestore: applied offset moves back")
	// ErrOtherTopic is returned by BindTopic when the store was built from
	// another topic of that name.
	ErrOtherTopic = errors.New("statestore: the store was built from another topic")
)

// Store is the engine's state in Pebble: the projector's records, the
// applied offset of each partition and the pending timers. One Txn writes
// at a time per partition; Readers and the read methods are safe for
// concurrent use with it.
type Store struct {
	db    *pebble.DB
	cfg   config
	plans *planCache
	// nodes is nil unless WithNodeCacheSize turned it on.
	nodes *nodeCache
	// childIndex says the k/ records are complete (keyChildIndex).
	childIndex bool
	// codec reads and writes the canvas records kept as their events
	// carried them (events.Codec.DecodeCanvas).
	codec *events.Codec

	// free is a Txn's recycled working memory.
	freeMu sync.Mutex
	free   *txnState

	closeOnce sync.Once
	closeErr  error
}

// memTableSize is Pebble's memtable size. A batch of more than half of
// it (a chord of 100,000 tasks writes ~24 MB at its submission) goes in
// as a memtable of its own and is flushed at once; its records are then
// read through the block cache.
const memTableSize = 32 << 20

// memTableReserve is what Pebble takes from the block cache for its
// memtables (the mutable one and the one being flushed): it counts them
// against the cache's capacity. Open adds it to the cache size, so that
// the cache holds WithCacheSize bytes of blocks; with a cache no larger
// than the memtables, it holds none and every read goes to the file.
const memTableReserve = 2 * memTableSize

// Open opens the store in dir, creating it if needed. It refuses a
// directory that holds a store of another format (ErrFormat).
func Open(dir string, opts ...Option) (*Store, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	po := &pebble.Options{
		Logger:             pebbleLogger{cfg.logger},
		CacheSize:          cfg.cacheSize + memTableReserve,
		FormatMajorVersion: pebble.FormatNewest,
		MemTableSize:       uint64(memTableSize),
	}
	// Fold reads records by key, many of which live in L0: bloom filters
	// let a read skip the tables that do not hold its key.
	po.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("statestore: open %s: %w", dir, err)
	}
	if err := checkFormat(db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("%w (in %s)", err, dir)
	}
	childIndex, err := get(db, keyChildIndex, func([]byte) error { return nil })
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("statestore: open %s: %w", dir, err)
	}
	cfg.logger.Debug("statestore: opened", "dir", dir, "format", formatVersion, "child_index", childIndex)
	codec, err := canvasCodec()
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	s := &Store{db: db, cfg: cfg, plans: newPlanCache(cfg.planCacheSize), childIndex: childIndex, codec: codec}
	if cfg.nodeCacheSize > 0 {
		s.nodes = newNodeCache(cfg.nodeCacheSize)
	}
	return s, nil
}

// canvasCodec is the Codec of every Store: making one parses the schemas
// (~2 ms), and a Codec is immutable and safe for concurrent use.
var canvasCodec = sync.OnceValues(events.NewCodec)

// decodeCanvas decodes a canvas record: a Signature record, as its event
// carried it, or one a store of version 2 or before encoded
// (projector.AppendCanvas), which a store still writes for a canvas that
// came without its record.
func (s *Store) decodeCanvas(v []byte) (map[string]any, error) {
	if events.IsRecord(v) {
		return s.codec.DecodeCanvas(v)
	}
	return projector.DecodeCanvas(v)
}

func quoted(s []string) []string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return q
}

// checkFormat checks the format version of the store, writing it into an
// empty one.
func checkFormat(db *pebble.DB) error {
	v, closer, err := db.Get(keyVersion)
	switch {
	case err == nil:
		version := string(v)
		closer.Close()
		switch {
		case version == formatVersion:
			return nil
		case slices.Contains(formatsUpgraded, version):
			if err := db.Set(keyVersion, []byte(formatVersion), pebble.Sync); err != nil {
				return fmt.Errorf("statestore: mark the store version %s: %w", formatVersion, err)
			}
			return nil
		}
		return fmt.Errorf("%w: version %q, this build reads versions %s and %q", ErrFormat, version, strings.Join(quoted(formatsUpgraded), ", "), formatVersion)
	case !errors.Is(err, pebble.ErrNotFound):
		return fmt.Errorf("statestore: read format version: %w", err)
	}
	it, err := db.NewIter(nil)
	if err != nil {
		return err
	}
	empty := !it.First()
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return err
	}
	if !empty {
		return fmt.Errorf("%w: data without a format version", ErrFormat)
	}
	// A new store: its child index is complete from its first record.
	b := db.NewBatch()
	defer b.Close()
	if err := errors.Join(b.Set(keyVersion, []byte(formatVersion), nil), b.Set(keyChildIndex, nil, nil)); err != nil {
		return err
	}
	return b.Commit(pebble.Sync)
}

// Close closes the store. Transactions must be finished first; Readers
// must not be used after.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = s.db.Close()
		s.cfg.logger.Debug("statestore: closed")
	})
	return s.closeErr
}

// source is what a Txn or a Reader reads committed records from: the
// database or a snapshot of it.
type source interface {
	Get(key []byte) ([]byte, io.Closer, error)
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

// get calls fn with the value of key; false when there is none.
func get(src source, key []byte, fn func(v []byte) error) (bool, error) {
	v, closer, err := src.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("statestore: get %q: %w", key, err)
	}
	err = fn(v)
	return true, errors.Join(err, closer.Close())
}

// loadHeader reads workflow id from src without its canvas and plan; nil
// when it is unknown. buf is scratch space for keys.
func loadHeader(src source, id string, buf []byte) (*projector.Workflow, []byte, error) {
	var w *projector.Workflow
	buf = appendWorkflowKey(buf[:0], id)
	_, err := get(src, buf, func(v []byte) (err error) {
		w, err = projector.DecodeWorkflow(v)
		return err
	})
	return w, buf, wrap(id, err)
}

// loadWorkflow reads workflow id from src with its plan; nil when it is
// unknown. A completed workflow comes without it unless views is set:
// nothing more is folded into it, and compiling a large canvas again for
// each late duplicate event would cost O(canvas) each. The canvas is read
// only to compile the plan, and comes with the workflow only when it was
// refused (it has no plan). buf is scratch space for keys.
func (s *Store) loadWorkflow(src source, id string, buf []byte, views bool) (*projector.Workflow, []byte, error) {
	w, buf, err := loadHeader(src, id, buf)
	if err != nil || w == nil {
		return nil, buf, err
	}
	if w.Completed && !views {
		return w, buf, nil
	}
	if w.Rejected == "" {
		if c, ok := s.plans.get(id); ok {
			w.Plan = c.plan
			return w, buf, nil
		}
	}
	var (
		c      compiled
		canvas map[string]any
	)
	buf = appendCanvasKey(buf[:0], id)
	found, err := get(src, buf, func(v []byte) (err error) {
		canvas, err = s.decodeCanvas(v)
		return err
	})
	if err != nil {
		return nil, buf, wrap(id, err)
	}
	if !found {
		return nil, buf, fmt.Errorf("statestore: workflow %s has no canvas record", id)
	}
	if w.Rejected != "" {
		w.Canvas = canvas
		return w, buf, nil // refused: it never had a plan
	}
	if c.plan, err = compile(id, canvas, s.cfg.limits); err != nil {
		return nil, buf, err
	}
	if !w.Completed { // a completed one is only read, for views
		c = s.plans.add(id, c)
	}
	w.Plan = c.plan
	return w, buf, nil
}

// compile compiles the plan of a stored canvas, as Fold did when the
// workflow was submitted.
func compile(id string, c map[string]any, lim canvas.Limits) (*projector.Plan, error) {
	sig, err := canvas.FromOwnedValue(c, lim)
	if err != nil {
		return nil, fmt.Errorf("statestore: workflow %s: the stored canvas does not parse (limits differ from the projector's?): %w", id, err)
	}
	p, err := projector.Compile(id, sig)
	if err != nil {
		return nil, fmt.Errorf("statestore: workflow %s: the stored canvas does not compile: %w", id, err)
	}
	return p, nil
}

func wrap(id string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("statestore: workflow %s: %w", id, err)
}

// loadNode decodes node i of workflow wf from src into n; n is left as it
// is when the node was never written.
func loadNode(src source, wf string, i int32, n *projector.Node, buf []byte) ([]byte, error) {
	buf = appendNodeKey(buf[:0], wf, i)
	_, err := get(src, buf, func(v []byte) (err error) {
		*n, err = projector.DecodeNode(v)
		return err
	})
	if err != nil {
		return buf, fmt.Errorf("statestore: workflow %s node %d: %w", wf, i, err)
	}
	return buf, nil
}

func taskOwner(src source, task string) (string, error) {
	var owner string
	_, err := get(src, appendTaskKey(nil, task), func(v []byte) error {
		owner = string(v)
		return nil
	})
	return owner, err
}

// madeUpClaim returns the first claimed task id of the form "<wf>.<n>" in
// key order, and its owner; "" if none.
func madeUpClaim(src source, wf string) (task, owner string, err error) {
	prefix := string(appendTaskKey(nil, wf+"."))
	err = scan(src, prefix, func(k, v []byte) (bool, error) {
		id := string(k[len(prefixTask):])
		if w, ok := projector.MadeUpPrefix(id); !ok || w != wf {
			return true, nil
		}
		task, owner = id, string(v)
		return false, nil
	})
	return task, owner, err
}

// scan calls fn with every record whose key starts with prefix, in key
// order, until fn returns false or an error.
func scan(src source, prefix string, fn func(k, v []byte) (bool, error)) (err error) {
	it, err := src.NewIter(&pebble.IterOptions{LowerBound: []byte(prefix), UpperBound: prefixEnd([]byte(prefix))})
	if err != nil {
		return fmt.Errorf("statestore: scan %s: %w", prefix, err)
	}
	defer func() { err = errors.Join(err, it.Close()) }()
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		more, err := fn(it.Key(), v)
		if err != nil || !more {
			return err
		}
	}
	return it.Error()
}

// Applied returns the last offset of topic/partition whose state is
// committed; ok is false when none is.
func (s *Store) Applied(topic string, partition int32) (offset int64, ok bool, err error) {
	ok, err = get(s.db, appendAppliedKey(nil, topic, partition), func(v []byte) error {
		offset, err = decodeOffset(v)
		return err
	})
	return offset, ok, err
}

// Timers calls fn with every committed timer in due order (ties in
// workflow, task and name order) until fn returns false.
func (s *Store) Timers(fn func(Timer) bool) error {
	return scan(s.db, prefixTimer, func(k, _ []byte) (bool, error) {
		t, err := parseTimerKey(k)
		if err != nil {
			return false, fmt.Errorf("%w: %q", err, k)
		}
		return fn(t), nil
	})
}

// WorkflowIDs calls fn with the id of every committed workflow in
// byte order until fn returns false.
func (s *Store) WorkflowIDs(fn func(id string) bool) error {
	return scan(s.db, prefixWorkflow, func(k, _ []byte) (bool, error) {
		return fn(string(k[len(prefixWorkflow):])), nil
	})
}

// zeroNode is the encoding of a node never written: it is not a record.
var zeroNode = projector.AppendNode(nil, &projector.Node{})

// Hash returns the state hash of the committed state (projector.Hasher
// over the records under c/, n/, t/ and w/ in key order): it equals
// projector.MemState.Hash for the same state. Applied offsets, timers and
// metadata are not part of it.
func (s *Store) Hash() ([32]byte, error) {
	snap := s.db.NewSnapshot()
	defer snap.Close()
	h := projector.NewHasher()
	for _, p := range []string{prefixCanvas, prefixNode, prefixTask, prefixWorkflow} {
		err := scan(snap, p, func(k, v []byte) (bool, error) {
			switch {
			case p == prefixCanvas && events.IsRecord(v):
				// Hashed as the canvas it holds, in the encoding
				// MemState hashes: not as the bytes its event carried.
				c, err := s.codec.DecodeCanvas(v)
				if err != nil {
					return false, wrap(string(k[len(prefixCanvas):]), err)
				}
				h.Add(k, projector.AppendCanvas(nil, c))
			case p != prefixNode || !bytes.Equal(v, zeroNode):
				h.Add(k, v)
			}
			return true, nil
		})
		if err != nil {
			return [32]byte{}, err
		}
	}
	return h.Sum(), nil
}

// Checkpoint writes a consistent copy of the committed store into dir,
// which must not exist, including every commit made before the call (the
// write-ahead log is flushed first). The copy opens with Open.
func (s *Store) Checkpoint(dir string) error {
	if err := s.db.Checkpoint(dir, pebble.WithFlushedWAL()); err != nil {
		return fmt.Errorf("statestore: checkpoint %s: %w", dir, err)
	}
	return nil
}

// Empty reports whether the store holds no records besides its metadata:
// no state, no applied offset, no timer.
func (s *Store) Empty() (bool, error) {
	for _, r := range [][2][]byte{{nil, []byte(prefixMeta)}, {prefixEnd([]byte(prefixMeta)), nil}} {
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: r[0], UpperBound: r[1]})
		if err != nil {
			return false, fmt.Errorf("statestore: %w", err)
		}
		found := it.First()
		if err := errors.Join(it.Error(), it.Close()); err != nil {
			return false, fmt.Errorf("statestore: %w", err)
		}
		if found {
			return false, nil
		}
	}
	return true, nil
}
