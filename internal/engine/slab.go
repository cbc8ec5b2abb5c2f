package engine

import "github.com/fugue-run/fugue/events"

// slabSize is the size of a slab's chunks, and slabMin the room a chunk
// must have left to take the next record; a record that does not fit it
// is copied out on its own.
const (
	slabSize = 64 << 10
	slabMin  = 4 << 10
)

// slab encodes the fold loop's outputs one after the other into chunks of
// slabSize, each record a slice of one, capped at its length. A chord of
// 100,000 dispatches 100,000 records of ~150 bytes, which the producer
// holds until Kafka has them: allocated one by one, each took a 288-byte
// size class (events.Codec.Encode's buffer) and a malloc. A chunk is
// garbage once the last of its records is. Only the fold loop uses it.
type slab struct{ b []byte }

// encode encodes o. Its errors are events.Codec.AppendEncode's.
func (s *slab) encode(c *events.Codec, o *events.Event) ([]byte, error) {
	if cap(s.b)-len(s.b) < slabMin {
		s.b = make([]byte, 0, slabSize)
	}
	n := len(s.b)
	out, err := c.AppendEncode(s.b, o)
	if err != nil {
		return nil, err
	}
	if cap(out) != cap(s.b) {
		// It did not fit: out is a new array that holds a copy of the
		// chunk too. The record is copied out alone, and the chunk kept.
		return append(make([]byte, 0, len(out)-n), out[n:]...), nil
	}
	s.b = out
	return out[n:len(out):len(out)], nil
}
