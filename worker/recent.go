package worker

// recentSet remembers the last max keys added: revoked task ids, the task
// attempts taken from a partition. Not safe for concurrent use.
type recentSet[K comparable] struct {
	max  int
	keys map[K]struct{}
	ring []K // keys in the order added; once full, next is the oldest
	next int
}

func newRecentSet[K comparable](max int) *recentSet[K] {
	return &recentSet[K]{max: max, keys: make(map[K]struct{})}
}

// add remembers k, forgetting the oldest key when max are remembered. It
// reports whether k was new.
func (s *recentSet[K]) add(k K) bool {
	if _, ok := s.keys[k]; ok {
		return false
	}
	s.keys[k] = struct{}{}
	if len(s.ring) < s.max {
		s.ring = append(s.ring, k)
		return true
	}
	delete(s.keys, s.ring[s.next])
	s.ring[s.next] = k
	s.next = (s.next + 1) % s.max
	return true
}

// has reports whether k is remembered.
func (s *recentSet[K]) has(k K) bool {
	_, ok := s.keys[k]
	return ok
}
