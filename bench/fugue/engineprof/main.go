// Command engineprof is `engine serve` (the same engine.New + api handler as
// cmd/engine's runStack) with net/http/pprof on a side port, so bench/run.sh
// can take CPU and heap profiles of the engine during the Fugue workloads.
// Benchmark tooling only: it is not part of the product.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // the profiles, on DefaultServeMux at --pprof
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fugue-run/fugue/internal/api"
	"github.com/fugue-run/fugue/internal/engine"
	"github.com/fugue-run/fugue/internal/topic"
)

func main() {
	brokers := flag.String("brokers", "", "Kafka seed brokers")
	httpAddr := flag.String("http", "127.0.0.1:0", "HTTP API address")
	pprofAddr := flag.String("pprof", "127.0.0.1:0", "pprof address")
	data := flag.String("data", "", "state store directory")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *brokers, *httpAddr, *pprofAddr, *data); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "engineprof:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, brokers, httpAddr, pprofAddr, data string) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	reg := prometheus.NewRegistry()
	eng, err := engine.New(engine.Config{
		Brokers: strings.Split(brokers, ","), Prefix: topic.DefaultPrefix, DataDir: data,
		Topics: topic.Spec{Partitions: 8, Replication: 1}, Logger: log, Registerer: reg,
	})
	if err != nil {
		return err
	}
	defer eng.Close()
	pl, err := net.Listen("tcp", pprofAddr)
	if err != nil {
		return err
	}
	go http.Serve(pl, http.DefaultServeMux) //nolint:errcheck // dies with the process
	ln, err := net.Listen("tcp", httpAddr)
	if err != nil {
		return err
	}
	h := api.NewHandler(eng, api.Config{Logger: log, Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})})
	srv := &http.Server{Handler: h, BaseContext: func(net.Listener) context.Context { return ctx }}
	go srv.Serve(ln) //nolint:errcheck // shut down below
	fmt.Printf("fugue ready http://%s pprof http://%s\n", ln.Addr(), pl.Addr())
	err = eng.Run(ctx)
	_ = srv.Close()
	return err
}
