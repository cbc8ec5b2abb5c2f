// Command machinebench is the machinery v2 side of `make bench`
// (bench/run.sh): the demo tasks tasks.add and tasks.tsum on Redis, and
// the same canvases built with machinery's chain, group and chord.
//
//	machinebench --redis ADDR worker --concurrency N
//	machinebench --redis ADDR run WORKLOAD N     (group, chord, chain, many)
//
// run prints one JSON object. Latencies come from the backend's task
// states: a SUCCESS state's CreatedAt is when the task finished.
// Its own module: machinery's dependencies stay out of Fugue's go.mod.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"reflect"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/RichardKnop/machinery/v2"
	redisbackend "github.com/RichardKnop/machinery/v2/backends/redis"
	redisbroker "github.com/RichardKnop/machinery/v2/brokers/redis"
	"github.com/RichardKnop/machinery/v2/config"
	eagerlock "github.com/RichardKnop/machinery/v2/locks/eager"
	mlog "github.com/RichardKnop/machinery/v2/log"
	"github.com/RichardKnop/machinery/v2/tasks"
	"github.com/redis/go-redis/v9"
)

// Add is tasks.add(x, y) = x + y.
func Add(x, y int64) (int64, error) { return x + y, nil }

// Tsum is tasks.tsum(nums) = sum(nums); machinery appends a chord
// header's results to the callback's args one by one.
func Tsum(nums ...int64) (int64, error) {
	var s int64
	for _, n := range nums {
		s += n
	}
	return s, nil
}

type quiet struct{}

func (quiet) Print(...interface{})              {}
func (quiet) Printf(string, ...interface{})     {}
func (quiet) Println(...interface{})            {}
func (quiet) Fatal(v ...interface{})            { fmt.Fprintln(os.Stderr, v...); os.Exit(1) }
func (quiet) Fatalf(f string, v ...interface{}) { fmt.Fprintf(os.Stderr, f+"\n", v...); os.Exit(1) }
func (quiet) Fatalln(v ...interface{})          { fmt.Fprintln(os.Stderr, v...); os.Exit(1) }
func (quiet) Panic(v ...interface{})            { panic(fmt.Sprint(v...)) }
func (quiet) Panicf(f string, v ...interface{}) { panic(fmt.Sprintf(f, v...)) }
func (quiet) Panicln(v ...interface{})          { panic(fmt.Sprint(v...)) }

func server(addr string) (*machinery.Server, error) {
	cnf := &config.Config{
		DefaultQueue:    "machinery_tasks",
		ResultsExpireIn: 3600,
		Redis: &config.RedisConfig{
			MaxIdle: 16, IdleTimeout: 240, ReadTimeout: 15, WriteTimeout: 15, ConnectTimeout: 15,
			NormalTasksPollPeriod: 1000, DelayedTasksPollPeriod: 500,
		},
	}
	srv := machinery.NewServer(cnf, redisbroker.NewGR(cnf, []string{addr}, 0),
		redisbackend.NewGR(cnf, []string{addr}, 0), eagerlock.New())
	return srv, srv.RegisterTasks(map[string]interface{}{"tasks.add": Add, "tasks.tsum": Tsum})
}

func main() {
	addr := flag.String("redis", "127.0.0.1:6379", "Redis address")
	flag.Parse()
	mlog.Set(quiet{})
	srv, err := server(*addr)
	if err != nil {
		fail(err)
	}
	args := flag.Args()
	if len(args) == 0 {
		fail(fmt.Errorf("usage: machinebench [--redis ADDR] worker|run ..."))
	}
	switch args[0] {
	case "worker":
		fs := flag.NewFlagSet("worker", flag.ExitOnError)
		conc := fs.Int("concurrency", 8, "")
		_ = fs.Parse(args[1:])
		w := srv.NewWorker(fmt.Sprintf("bench-%d", os.Getpid()), *conc)
		// A task state keeps its creation time only, so the worker notes
		// when each task finished (one SET per task).
		rc := redis.NewClient(&redis.Options{Addr: *addr})
		w.SetPostTaskHandler(func(s *tasks.Signature) {
			rc.Set(context.Background(), "bench:done:"+s.UUID, time.Now().UnixMicro(), time.Hour)
		})
		errc := make(chan error, 1)
		w.LaunchAsync(errc)
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		select {
		case err := <-errc:
			if err != nil {
				fail(err)
			}
		case <-sig: // Quit panics (close of closed channel) in v2.0.13
		}
	case "run":
		doneClient = redis.NewClient(&redis.Options{Addr: *addr})
		if len(args) != 3 {
			fail(fmt.Errorf("usage: run WORKLOAD N"))
		}
		var n int
		fmt.Sscan(args[2], &n)
		out, err := run(srv, args[1], n)
		if err != nil {
			fail(err)
		}
		_ = json.NewEncoder(os.Stdout).Encode(out)
	default:
		fail(fmt.Errorf("unknown command %q", args[0]))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "machinebench:", err)
	os.Exit(1)
}

func add(args ...int64) *tasks.Signature {
	s := &tasks.Signature{Name: "tasks.add"}
	for _, a := range args {
		s.Args = append(s.Args, tasks.Arg{Type: "int64", Value: a})
	}
	return s
}

func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return xs[int(p*float64(len(xs)-1))]
}

const timeout = 15 * time.Minute
const poll = 5 * time.Millisecond

var doneClient *redis.Client

func doneAt(_ *machinery.Server, id string) time.Time {
	us, err := doneClient.Get(context.Background(), "bench:done:"+id).Int64()
	if err != nil {
		return time.Time{}
	}
	return time.UnixMicro(us)
}

func result(vals []reflect.Value) int64 {
	if len(vals) == 0 || !vals[0].CanInt() {
		return -1
	}
	return vals[0].Int()
}

func run(srv *machinery.Server, kind string, n int) (map[string]any, error) {
	ctx := context.Background()
	out := map[string]any{"system": "machinery", "workload": kind, "n": n}
	t0 := time.Now()
	var ntasks int
	switch kind {
	case "group", "chord":
		sigs := make([]*tasks.Signature, n)
		for i := range sigs {
			sigs[i] = add(int64(i), int64(i))
		}
		g, err := tasks.NewGroup(sigs...)
		if err != nil {
			return nil, err
		}
		ids := []string{}
		if kind == "group" {
			rs, err := srv.SendGroupWithContext(ctx, g, 0)
			if err != nil {
				return nil, err
			}
			for i, r := range rs {
				v, err := r.GetWithTimeout(timeout, poll)
				if err != nil {
					return nil, err
				}
				if result(v) != int64(2*i) {
					return nil, fmt.Errorf("group member %d: %v", i, v)
				}
				ids = append(ids, r.Signature.UUID)
			}
			ntasks = n
		} else {
			ch, err := tasks.NewChord(g, &tasks.Signature{Name: "tasks.tsum"})
			if err != nil {
				return nil, err
			}
			r, err := srv.SendChordWithContext(ctx, ch, 0)
			if err != nil {
				return nil, err
			}
			v, err := r.GetWithTimeout(timeout, poll)
			if err != nil {
				return nil, err
			}
			if result(v) != int64(n*(n-1)) {
				return nil, fmt.Errorf("chord result %v", v)
			}
			for _, s := range sigs {
				ids = append(ids, s.UUID)
			}
			ids = append(ids, ch.Callback.UUID)
			ntasks = n + 1
		}
		out["wall_s"] = time.Since(t0).Seconds()
		var e2e []float64
		for _, id := range ids {
			if d := doneAt(srv, id); !d.IsZero() {
				e2e = append(e2e, float64(d.Sub(t0).Microseconds())/1000)
			}
		}
		out["task_e2e_p50_ms"], out["task_e2e_p99_ms"] = pct(e2e, .5), pct(e2e, .99)
	case "chain":
		sigs := []*tasks.Signature{add(0, 1)}
		for i := 1; i < n; i++ {
			sigs = append(sigs, add(1))
		}
		ch, err := tasks.NewChain(sigs...)
		if err != nil {
			return nil, err
		}
		r, err := srv.SendChainWithContext(ctx, ch)
		if err != nil {
			return nil, err
		}
		v, err := r.GetWithTimeout(timeout, poll)
		if err != nil {
			return nil, err
		}
		if result(v) != int64(n) {
			return nil, fmt.Errorf("chain result %v", v)
		}
		out["wall_s"] = time.Since(t0).Seconds()
		var dones []time.Time
		for _, s := range sigs {
			if d := doneAt(srv, s.UUID); !d.IsZero() {
				dones = append(dones, d)
			}
		}
		slices.SortFunc(dones, func(a, b time.Time) int { return a.Compare(b) })
		var hops []float64
		for i := 1; i < len(dones); i++ {
			hops = append(hops, float64(dones[i].Sub(dones[i-1]).Microseconds())/1000)
		}
		out["hop_p50_ms"], out["hop_p99_ms"], out["hops"] = pct(hops, .5), pct(hops, .99), len(hops)
		ntasks = n
	case "many":
		// machinery cannot put a chord inside a chain: the client runs the
		// chain of 3, then sends the chord with the chain's result.
		var (
			mu    sync.Mutex
			lat   []float64
			first error
			wg    sync.WaitGroup
		)
		jobs := make(chan int, n)
		for i := range n {
			jobs <- i
		}
		close(jobs)
		for range 64 {
			wg.Go(func() {
				for range jobs {
					st := time.Now()
					err := func() error {
						ch, err := tasks.NewChain(add(1, 1), add(1), add(1))
						if err != nil {
							return err
						}
						r, err := srv.SendChainWithContext(ctx, ch)
						if err != nil {
							return err
						}
						v, err := r.GetWithTimeout(timeout, poll)
						if err != nil {
							return err
						}
						prev := result(v)
						hdr := make([]*tasks.Signature, 10)
						for i := range hdr {
							hdr[i] = add(int64(i), prev)
						}
						g, err := tasks.NewGroup(hdr...)
						if err != nil {
							return err
						}
						cd, err := tasks.NewChord(g, &tasks.Signature{Name: "tasks.tsum"})
						if err != nil {
							return err
						}
						cr, err := srv.SendChordWithContext(ctx, cd, 0)
						if err != nil {
							return err
						}
						v, err = cr.GetWithTimeout(timeout, poll)
						if err != nil {
							return err
						}
						if result(v) != 85 {
							return fmt.Errorf("workflow result %v", v)
						}
						return nil
					}()
					mu.Lock()
					if err != nil && first == nil {
						first = err
					}
					lat = append(lat, float64(time.Since(st).Microseconds())/1000)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if first != nil {
			return nil, first
		}
		out["wall_s"] = time.Since(t0).Seconds()
		out["wf_events_p50_ms"], out["wf_events_p99_ms"], out["workflows"] = pct(lat, .5), pct(lat, .99), n
		ntasks = 14 * n
	default:
		return nil, fmt.Errorf("unknown workload %q", kind)
	}
	wall := out["wall_s"].(float64)
	out["tasks"], out["tasks_per_s"] = ntasks, float64(ntasks)/wall
	if kind != "many" {
		out["wf_client_p50_ms"], out["wf_client_p99_ms"] = wall*1000, wall*1000
	}
	return out, nil
}
