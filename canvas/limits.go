package canvas

// Limits bound what Parse and Validate accept, so that one submission
// cannot exhaust the engine. A zero (or negative) field means its default.
type Limits struct {
	// MaxDepth bounds how deeply signatures nest. The root is at depth 1;
	// each member of a chain or group, each chord header member and body,
	// the task of a map/starmap/chunks, and each link and link_error
	// callback is one level below its parent (a chord header written as a
	// group is a level of its own). Default 64.
	MaxDepth int
	// MaxNodes bounds how many signatures a canvas holds in all, links and
	// a chord's header group included. Default 1,000,000.
	MaxNodes int
	// MaxBytes bounds the size of the JSON that ParseJSON accepts. Default
	// 16 MiB (16,777,216 bytes).
	MaxBytes int
}

// The defaults of Limits.
const (
	DefaultMaxDepth = 64
	DefaultMaxNodes = 1_000_000
	DefaultMaxBytes = 16 << 20
)

// DefaultLimits returns the limits a zero Limits stands for: depth 64,
// 1,000,000 signatures, 16 MiB of JSON.
func DefaultLimits() Limits {
	return Limits{MaxDepth: DefaultMaxDepth, MaxNodes: DefaultMaxNodes, MaxBytes: DefaultMaxBytes}
}

// withDefaults fills zero fields with their defaults.
func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = DefaultMaxNodes
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	return l
}

// unlimited is what MarshalJSON validates with: structure, not size.
func unlimited() Limits {
	const maxInt = int(^uint(0) >> 1)
	return Limits{MaxDepth: maxInt, MaxNodes: maxInt, MaxBytes: maxInt}
}
