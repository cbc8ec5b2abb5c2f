package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/fugue-run/fugue/value"
)

// routed answers a request about a workflow where the workflow's partition
// is served: here (local), or by the owner, to which it forwards the
// request (method, path, query, body, Authorization) and whose answer it
// copies. name labels the metrics; body is the request body, read already
// (nil: none); extra are headers to add to the forwarded request.
//
// An owner that answers HeaderUnroutable (it no longer owns the partition)
// is asked again from a newer view of the group until RouteWait passes; an
// owner that cannot be reached is given up when a newer view still names
// it. When no engine can answer, orElse does, with why; nil answers 503
// (unroutable).
func (s *server) routed(w http.ResponseWriter, r *http.Request, name, workflow string, body []byte, extra http.Header, local func(), orElse func(error)) {
	if orElse == nil {
		orElse = func(err error) { s.unroutable(w, r, name, err) }
	}
	if s.cfg.Router == nil {
		local()
		return
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RouteWait)
	defer cancel()
	q := RouteQuery{Workflow: workflow, Forwarded: forwarded(r)}
	unreachable := map[string]error{}
	for {
		rt, err := s.cfg.Router.Route(ctx, q)
		switch {
		case r.Context().Err() != nil:
			return // the client is gone
		case err != nil:
			orElse(fmt.Errorf("workflow %s: %w", workflow, err))
			return
		case rt.Local:
			local()
			return
		case unreachable[rt.Owner] != nil:
			orElse(fmt.Errorf("workflow %s: partition %d: its owner %s cannot be reached: %w",
				workflow, rt.Partition, rt.Owner, unreachable[rt.Owner]))
			return
		}
		res, err := s.forward(r.Context(), r, rt.Owner, body, extra, start)
		switch {
		case r.Context().Err() != nil:
			if res != nil {
				res.Body.Close()
			}
			return
		case err != nil:
			s.cfg.Logger.Debug("api: the owner of a partition cannot be reached", "partition", rt.Partition, "owner", rt.Owner, "err", err)
			unreachable[rt.Owner] = err
		case res.StatusCode == http.StatusServiceUnavailable && res.Header.Get(HeaderUnroutable) != "" && ctx.Err() == nil:
			// Not the owner any more (or not yet): ask the group again.
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		case res.StatusCode == http.StatusServiceUnavailable && res.Header.Get(HeaderUnroutable) != "":
			// RouteWait ran out.
			msg, _ := io.ReadAll(res.Body)
			res.Body.Close()
			orElse(fmt.Errorf("workflow %s: partition %d: %s", workflow, rt.Partition, errorText(msg)))
			return
		default:
			if res.Header.Get(HeaderUnroutable) != "" {
				s.m.unroutable.WithLabelValues(name).Inc()
			} else {
				s.m.forwarded.WithLabelValues(name).Inc()
			}
			copyResponse(w, res)
			return
		}
		q.Failed = rt.Owner
	}
}

// askPeers answers a request about a task id this engine does not know: it
// sends it to every other engine and copies the first success (2xx). Without
// one, the answer is another engine's error if one gave one, else 404 when
// every partition could be asked, else 503 naming what could not. A
// request forwarded here is answered from this engine alone. Once the
// Router's Peers returns (it waits while this engine catches up with its
// own partitions), here is called first: it reports whether it answered,
// from what this engine knows now.
func (s *server) askPeers(w http.ResponseWriter, r *http.Request, name, notFound string, here func() bool) {
	if s.cfg.Router == nil {
		writeError(w, http.StatusNotFound, notFound)
		return
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RouteWait)
	defer cancel()
	peers, err := s.cfg.Router.Peers(ctx)
	if r.Context().Err() != nil || here() {
		return
	}
	var missing []string
	if err != nil {
		missing = append(missing, err.Error())
	}
	if forwarded(r) {
		// The engine that asks here asks the others itself.
		peers = nil
	}
	type answer struct {
		peer string
		res  *http.Response
		body []byte
		err  error
	}
	actx, stop := context.WithCancel(r.Context())
	defer stop()
	answers := make(chan answer, len(peers))
	for _, p := range peers {
		go func() {
			a := answer{peer: p}
			a.res, a.err = s.forward(actx, r, p, nil, nil, start)
			if a.err == nil {
				a.body, a.err = io.ReadAll(a.res.Body)
				a.res.Body.Close()
			}
			answers <- a
		}()
	}
	var other *answer
	for range peers {
		a := <-answers
		switch {
		case r.Context().Err() != nil:
			return
		case a.err != nil:
			missing = append(missing, fmt.Sprintf("%s cannot be reached: %v", a.peer, a.err))
		case a.res.StatusCode == http.StatusNotFound:
		case a.res.StatusCode == http.StatusServiceUnavailable && a.res.Header.Get(HeaderUnroutable) != "":
			missing = append(missing, fmt.Sprintf("%s: %s", a.peer, errorText(a.body)))
		case a.res.StatusCode < 300:
			s.m.forwarded.WithLabelValues(name).Inc()
			copyHeader(w.Header(), a.res.Header)
			w.WriteHeader(a.res.StatusCode)
			_, _ = w.Write(a.body)
			return
		default:
			if other == nil {
				other = &a
			}
		}
	}
	switch {
	case len(missing) > 0:
		s.unroutable(w, r, name, fmt.Errorf("%s here or on the other engines, but not every partition could be asked: %s",
			notFound, strings.Join(missing, "; ")))
	case other != nil:
		copyHeader(w.Header(), other.res.Header)
		w.WriteHeader(other.res.StatusCode)
		_, _ = w.Write(other.body)
	default:
		writeError(w, http.StatusNotFound, notFound)
	}
}

// forward sends r (its method, path, query and the given body) to the
// engine at base, marked as forwarded. A ?wait is shortened by the time
// since start, so that the answer comes when the client asked for it.
func (s *server) forward(ctx context.Context, r *http.Request, base string, body []byte, extra http.Header, start time.Time) (*http.Response, error) {
	u := base + r.URL.EscapedPath()
	if q := r.URL.Query(); len(q) > 0 {
		if q.Has("wait") {
			if d, err := s.parseWait(r); err == nil && d > 0 {
				q.Set("wait", max(d-time.Since(start), 0).String())
			}
		}
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u, rd)
	if err != nil {
		return nil, err
	}
	for _, h := range []string{"Authorization", "Accept", "Content-Type", "User-Agent"} {
		if v := r.Header.Values(h); len(v) > 0 {
			req.Header[h] = v
		}
	}
	req.Header.Set(HeaderForwarded, "1")
	for k, v := range extra {
		req.Header[k] = v
	}
	return s.cfg.Client.Do(req)
}

// copyResponse writes res (status, headers, body) as the answer and closes
// its body.
func copyResponse(w http.ResponseWriter, res *http.Response) {
	defer res.Body.Close()
	copyHeader(w.Header(), res.Header)
	w.WriteHeader(res.StatusCode)
	_, _ = io.Copy(w, res.Body)
}

// hopHeaders belong to one connection and are not copied (RFC 9110 §7.6.1).
var hopHeaders = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true,
	"Proxy-Connection": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		if !hopHeaders[k] {
			dst[k] = v
		}
	}
}

// errorText is the message of an {"error": …} answer, or its text.
func errorText(body []byte) string {
	if v, err := value.DecodeJSON(body); err == nil {
		if m, ok := v.(map[string]any); ok {
			if s, ok := m["error"].(string); ok {
				return s
			}
		}
	}
	return strings.TrimSpace(string(body))
}

// newForwardClient is Config.Client's default: no proxy from the
// environment (engines talk to each other directly), a dial bounded to
// three seconds so that a dead owner is found out quickly, no redirects,
// and nothing else bounded: a forwarded long poll lasts as long as its
// wait, and ends with the client's request.
func newForwardClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
