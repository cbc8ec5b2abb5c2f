//go:build !invariants

package projector

const invariants = false

func check(bool, string, ...any) {}
