//go:build !race

package projector

const raceEnabled = false
