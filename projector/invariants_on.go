//go:build invariants

package projector

import "fmt"

// invariants is true in builds with the invariants tag (make test): Fold
// then checks what must always hold and panics when it does not.
const invariants = true

func check(ok bool, format string, args ...any) {
	if !ok {
		panic(fmt.Sprintf("projector: invariant violated: "+format, args...))
	}
}
