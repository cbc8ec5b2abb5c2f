package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/internal/demo"
	"github.com/fugue-run/fugue/worker"
)

// devFetchMaxWait bounds how long a fetch waits on the development broker.
// After a restart on the same --data, kfake does not always answer a
// read_committed fetch that is waiting when a transaction commits records
// for it: the fetch then waited its whole 5 s default, and the first task
// dispatched after the restart ran that much later. Polling an in-process
// broker more often costs next to nothing.
const devFetchMaxWait = 250 * time.Millisecond

func runDev(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("engine dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serverFlags
	f.register(fs, env, ".fugue-dev", "directory of the state store (DIR/state) and, without --brokers, of the development broker's log (DIR/kafka)")
	concurrency := fs.Int("concurrency", 4, "tasks the demo worker runs at once (0: the number of CPUs)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: engine dev [--http ADDR] [--data DIR] [--brokers HOST:PORT,...]\n\n"+
			"The engine, its HTTP API and a worker with the demo tasks, in one\n"+
			"process, on an in-process development broker whose log is kept under\n"+
			"DIR/kafka (so a restart resumes), or on the Kafka cluster --brokers\n"+
			"names. Prints 'fugue ready http://ADDR' once it serves requests.\n"+
			"Without --brokers (or FUGUE_BROKERS) the Kafka settings of the\n"+
			"environment are not used, and the --kafka-* flags are refused.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := parseCommandFlags(fs, args, stderr); err != nil {
		return err
	}
	log, err := f.logger(stderr)
	if err != nil {
		return err
	}
	if *concurrency < 0 {
		return fmt.Errorf("--concurrency: %d is negative (0: the number of CPUs)", *concurrency)
	}
	brokers := splitList(f.brokers)
	var kopts []kgo.Opt
	if len(brokers) > 0 {
		if kopts, err = f.kafka.Opts(); err != nil {
			return err
		}
	} else {
		// FUGUE_KAFKA_* may be set for the other commands: only a flag
		// says they were meant for this one.
		if name := kafkaFlagSet(fs); name != "" {
			return fmt.Errorf("--%s needs --brokers (the development broker speaks plaintext)", name)
		}
		log.Warn("engine dev: using the in-process development broker (kfake): it is for trying Fugue out, not for production; pass --brokers to use a real Kafka cluster")
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DataDir(filepath.Join(f.data, "kafka")))
		if err != nil {
			return fmt.Errorf("development broker: %w", err)
		}
		defer c.Close()
		brokers = c.ListenAddrs()
		log.Info("engine dev: development broker listening: stream producers and other clients may connect",
			"brokers", strings.Join(brokers, ","), "prefix", f.prefix)
		kopts = append(kopts, kgo.FetchMaxWait(devFetchMaxWait))
	}
	reg := newRegistry()
	cfg, err := f.engineConfig(brokers, log, reg)
	if err != nil {
		return err
	}
	cfg.DataDir = filepath.Join(f.data, "state")
	tasks := worker.NewRegistry()
	demo.Register(tasks)
	w, err := worker.New(tasks, worker.Config{
		Brokers: brokers, Prefix: f.prefix, Concurrency: *concurrency, Logger: log, Registerer: reg,
	}, kopts...)
	if err != nil {
		return err
	}
	return runStack(ctx, stack{cfg: cfg, kopts: kopts, flags: &f, reg: reg, log: log, stdout: stdout, extra: w.Run})
}

// kafkaFlagSet returns the name of a --kafka-* flag set on the command
// line, or "".
func kafkaFlagSet(fs *flag.FlagSet) string {
	var name string
	fs.Visit(func(fl *flag.Flag) {
		if name == "" && strings.HasPrefix(fl.Name, "kafka-") {
			name = fl.Name
		}
	})
	return name
}
