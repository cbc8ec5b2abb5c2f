package statestore

import (
	"bytes"
	"encoding/base64"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// appendTopicKey appends m/topic/<topic>: the id of the Kafka topic the
// store folds (BindTopic).
func appendTopicKey(b []byte, topic string) []byte {
	return append(append(b, prefixMeta+"topic/"...), topic...)
}

// BindTopic ties the store to the Kafka topic it folds, named topic, by
// the id Kafka gave that topic when it made it: the first call records
// the id, and later calls check it, failing with ErrOtherTopic when it
// differs. The applied offsets the store keeps mean something in that
// topic only. Kept while its topic was deleted and made again, or pointed
// at another cluster, a store would skip every record of the new topic
// up to its old offsets as already applied, and lose them without a
// word. A zero id (a broker that gives topics none) is neither recorded
// nor checked.
func (s *Store) BindTopic(topic string, id [16]byte) error {
	if id == ([16]byte{}) {
		return nil
	}
	key := appendTopicKey(nil, topic)
	var have []byte
	found, err := get(s.db, key, func(v []byte) error { have = bytes.Clone(v); return nil })
	switch {
	case err != nil:
		return err
	case !found:
		if err := s.db.Set(key, id[:], pebble.Sync); err != nil {
			return fmt.Errorf("statestore: record topic %s: %w", topic, err)
		}
		return nil
	case !bytes.Equal(have, id[:]):
		return fmt.Errorf("%w: it folded topic %s with id %s, and the broker's %s has id %s "+
			"(was the topic deleted and made again, or is this another cluster?); "+
			"its offsets mean nothing in this topic: move the store's directory aside "+
			"and the engine rebuilds its state from the topic",
			ErrOtherTopic, topic, base64.StdEncoding.EncodeToString(have), topic, base64.StdEncoding.EncodeToString(id[:]))
	}
	return nil
}
