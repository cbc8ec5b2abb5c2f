//go:build race

package projector

// raceEnabled: the race detector makes values escape that would not.
const raceEnabled = true
