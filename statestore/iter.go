package statestore

import (
	"bytes"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble/v2"
)

// pointReader serves a Txn's reads of committed records from one Pebble
// iterator opened at the Txn's first read and positioned with
// SeekPrefixGE (the default comparer's prefix is the whole key, so this
// is a point lookup that uses the bloom filters). Building an iterator
// costs more than a lookup, and DB.Get builds one per call. The iterator
// reads the store as it was when it was opened; that is the committed
// state a Txn works on, since no other writer touches its records.
type pointReader struct {
	db *pebble.DB
	it *pebble.Iterator
}

type noopCloser struct{}

func (noopCloser) Close() error { return nil }

// Get returns the value of key, valid until the next call.
func (p *pointReader) Get(key []byte) ([]byte, io.Closer, error) {
	if p.it == nil {
		it, err := p.db.NewIter(nil)
		if err != nil {
			return nil, nil, fmt.Errorf("statestore: %w", err)
		}
		p.it = it
	}
	if !p.it.SeekPrefixGE(key) || !bytes.Equal(p.it.Key(), key) {
		if err := p.it.Error(); err != nil {
			return nil, nil, err
		}
		return nil, nil, pebble.ErrNotFound
	}
	v, err := p.it.ValueAndErr()
	if err != nil {
		return nil, nil, err
	}
	return v, noopCloser{}, nil
}

// NewIter implements source.
func (p *pointReader) NewIter(o *pebble.IterOptions) (*pebble.Iterator, error) {
	return p.db.NewIter(o)
}

// close releases the iterator.
func (p *pointReader) close() error {
	if p.it == nil {
		return nil
	}
	err := p.it.Close()
	p.it = nil
	return err
}
