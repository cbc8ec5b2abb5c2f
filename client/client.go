package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fugue-run/fugue/internal/urlpath"
	"github.com/fugue-run/fugue/value"
)

// Client talks to one Fugue server. It is safe for concurrent use.
type Client struct {
	base  string
	hc    *http.Client
	token string
}

// Option configures New.
type Option func(*config)

type config struct {
	hc    *http.Client
	token string
}

// WithHTTPClient sets the HTTP client requests go through. Default
// http.DefaultClient. Keep its Timeout unset or above the longest wait
// (about a minute per request: waits are split into long polls of at most
// PollWait).
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.hc = hc } }

// WithToken sends "Authorization: Bearer <token>" with every request.
// Default "": none.
func WithToken(token string) Option { return func(c *config) { c.token = token } }

// PollWait is the longest wait one request asks the server for; longer
// waits are a series of such long polls.
const PollWait = time.Minute

// New returns a client of the server at baseURL ("http://127.0.0.1:8080";
// a path prefix is kept, a trailing slash dropped).
func New(baseURL string, opts ...Option) *Client {
	cfg := config{hc: http.DefaultClient}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.hc == nil {
		cfg.hc = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), hc: cfg.hc, token: cfg.token}
}

// Errors a request can fail with, for errors.Is: a *StatusError matches
// the one for its status code.
var (
	// ErrNotFound: the workflow or task is unknown (404).
	ErrNotFound = errors.New("client: not found")
	// ErrRefused: the server refused the submission (400: not a valid
	// canvas; 413: too large).
	ErrRefused = errors.New("client: refused")
	// ErrUnauthorized: the bearer token is missing or wrong (401).
	ErrUnauthorized = errors.New("client: unauthorized")
)

// StatusError is an answer other than the one a request expects.
type StatusError struct {
	// Code is the HTTP status code.
	Code int
	// Message is the server's {"error": …}, or the body's text.
	Message string
}

// Error returns "client: HTTP <code>: <message>".
func (e *StatusError) Error() string { return fmt.Sprintf("client: HTTP %d: %s", e.Code, e.Message) }

// Is matches ErrNotFound, ErrRefused and ErrUnauthorized by status code.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Code == http.StatusNotFound
	case ErrRefused:
		return e.Code == http.StatusBadRequest || e.Code == http.StatusRequestEntityTooLarge
	case ErrUnauthorized:
		return e.Code == http.StatusUnauthorized
	}
	return false
}

// reply is a decoded answer.
type reply struct {
	body  any
	ready bool // the Fugue-Ready header
}

// do sends a request and decodes the JSON answer; a status other than
// want is a *StatusError.
//
// A 503 with Retry-After (the server's engines are rebalancing, or the
// engine that owns the workflow cannot be reached now; nothing was done) is
// asked again after that many seconds, until ctx is done.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body []byte, want int) (reply, error) {
	for {
		r, after, err := c.do1(ctx, method, path, query, body, want)
		if after < 0 {
			return r, err
		}
		t := time.NewTimer(after)
		select {
		case <-ctx.Done():
			t.Stop()
			return r, err // the 503's error: what the server said
		case <-t.C:
		}
	}
}

// maxRetryAfter bounds a server's Retry-After.
const maxRetryAfter = 10 * time.Second

// do1 makes one request. after is how long to wait before asking again
// (a 503 with Retry-After), or negative.
func (c *Client) do1(ctx context.Context, method, path string, query url.Values, body []byte, want int) (_ reply, after time.Duration, _ error) {
	after = -1
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return reply{}, after, fmt.Errorf("client: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return reply{}, after, fmt.Errorf("client: %w", err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return reply{}, after, fmt.Errorf("client: %s %s: reading the answer: %w", method, path, err)
	}
	if res.StatusCode != want {
		if secs, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && secs >= 0 && res.StatusCode == http.StatusServiceUnavailable {
			after = min(time.Duration(secs)*time.Second, maxRetryAfter)
		}
		return reply{}, after, statusError(res.StatusCode, data)
	}
	v, err := value.DecodeJSON(data)
	if err != nil {
		return reply{}, after, fmt.Errorf("client: %s %s: the answer is not JSON: %w", method, path, err)
	}
	return reply{body: v, ready: res.Header.Get("Fugue-Ready") == "true"}, after, nil
}

// statusError words an unexpected answer: its {"error": …} when it has
// one, else its text.
func statusError(code int, data []byte) *StatusError {
	msg := strings.TrimSpace(string(data))
	if v, err := value.DecodeJSON(data); err == nil {
		if m, ok := v.(map[string]any); ok {
			if s, ok := m["error"].(string); ok {
				msg = s
			}
		}
	}
	if msg == "" {
		msg = http.StatusText(code)
	}
	return &StatusError{Code: code, Message: msg}
}

// waitQuery is ?wait=<d> for d > 0.
func waitQuery(d time.Duration) url.Values {
	if d <= 0 {
		return nil
	}
	return url.Values{"wait": {d.String()}}
}

// Workflow reads workflow id once. With wait > 0 the server answers once
// the workflow is ready or wait passed (the server caps it, 5 minutes by
// default); see AsyncResult.Wait for longer waits. An unknown id is an
// error matching ErrNotFound.
func (c *Client) Workflow(ctx context.Context, id string, wait time.Duration) (*Workflow, error) {
	return c.workflow(ctx, id, wait, true)
}

// WorkflowHeader reads workflow id as Workflow does, without its tasks
// (Tasks is nil): its state, result and error. The server answers from
// the workflow's header, so the cost does not grow with the canvas; a
// client that polls a state or waits for a result of a large canvas
// wants this.
func (c *Client) WorkflowHeader(ctx context.Context, id string, wait time.Duration) (*Workflow, error) {
	return c.workflow(ctx, id, wait, false)
}

func (c *Client) workflow(ctx context.Context, id string, wait time.Duration, tasks bool) (*Workflow, error) {
	q := waitQuery(wait)
	if !tasks {
		if q == nil {
			q = url.Values{}
		}
		q.Set("tasks", "false")
	}
	r, err := c.do(ctx, http.MethodGet, "/v1/workflows/"+urlpath.Segment(id), q, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	w, err := decodeWorkflow(r.body)
	if err != nil {
		return nil, err
	}
	if !tasks {
		w.Tasks = nil
	}
	w.Ready = r.ready
	return w, nil
}

// Task reads one task by id. With wait > 0 the server answers once the
// task is final, or its workflow is ready, or wait passed.
func (c *Client) Task(ctx context.Context, id string, wait time.Duration) (*Task, error) {
	r, err := c.do(ctx, http.MethodGet, "/v1/tasks/"+urlpath.Segment(id), waitQuery(wait), nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	t, err := decodeTask(r.body)
	if err != nil {
		return nil, err
	}
	t.Ready = r.ready
	return t, nil
}

// Revoke revokes workflow id: nothing of it runs any more and running
// tasks are cancelled.
func (c *Client) Revoke(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodPost, "/v1/workflows/"+urlpath.Segment(id)+"/revoke", nil, nil, http.StatusAccepted)
	return err
}

// RevokeTask revokes one task (or a chain, group or chord by its task_id)
// of a workflow.
func (c *Client) RevokeTask(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodPost, "/v1/tasks/"+urlpath.Segment(id)+"/revoke", nil, nil, http.StatusAccepted)
	return err
}
