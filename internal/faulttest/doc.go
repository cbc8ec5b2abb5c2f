// Package faulttest holds process-level fault tests: the built `engine
// serve` and `worker` binaries on a real Kafka broker, killed with SIGKILL
// mid-run (a worker inside a large chord, the engine three times, one of
// two engines in a group) and the broker itself stopped and restarted. They
// check on the log itself that nothing was lost and that no chord body,
// link callback or errback was dispatched twice.
//
// The tests carry the build tag `fault`, so `go test ./...` skips them; run
// them with `make fault-test` (which starts a broker like `make test`), or
//
//	KAFKA_BROKERS=127.0.0.1:19092 go test -tags fault -v ./internal/faulttest/
//
// Sizes come from the environment: FUGUE_FAULT_SCALE=large selects the
// sizes of the report (a chord of 10,000, 1,000 workflows), and
// FUGUE_FAULT_CHORD and FUGUE_FAULT_WORKFLOWS set them one by one. The
// broker-restart test starts a broker of its own with scripts/kafka.sh (a
// free port, a private data directory), since it must stop it.
//
// When a test fails, or a wait sees no progress for two minutes (a stall),
// the processes still running get SIGQUIT and dump their goroutines; the
// dump and the tail of each process's log go to the test log, and their
// whole stderr (and the own broker's log) to a directory printed at the
// end: $FUGUE_FAULT_LOGS, else a temporary one.
package faulttest
