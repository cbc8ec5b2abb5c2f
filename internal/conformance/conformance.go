// Package conformance loads canvas conformance cases (the JSONL form of
// ../shared/conformance/cases.jsonl) and checks a workflow against them
// exactly as ../shared/conformance/run.py does: type-strictly, on the
// workflow's JSON as the HTTP API writes it. The in-process harness, the
// engine on a real broker and the end-to-end test of the binaries all check
// through here, so they agree on what passing means.
package conformance

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fugue-run/fugue/internal/api"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/value"
)

// Case is one conformance case.
type Case struct {
	Name   string
	Canvas map[string]any
	// Expect holds the expectations as written: state, result,
	// error_type, error_contains, http_status, task, retries,
	// submit_twice, min_seconds.
	Expect map[string]any
}

// Refused reports whether the case expects the submission to be refused
// with an HTTP status, and which.
func (c *Case) Refused() (int64, bool) {
	s, ok := c.Expect["http_status"].(int64)
	return s, ok
}

// SubmitTwice reports whether the case submits its canvas twice.
func (c *Case) SubmitTwice() bool { return c.Expect["submit_twice"] == true }

// Load reads every case of the files matching the glob patterns.
func Load(patterns ...string) ([]Case, error) {
	var files []string
	for _, p := range patterns {
		m, err := filepath.Glob(p)
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("conformance: no case files match %v", patterns)
	}
	var cases []Case
	for _, f := range files {
		cs, err := loadFile(f)
		if err != nil {
			return nil, err
		}
		cases = append(cases, cs...)
	}
	return cases, nil
}

func loadFile(path string) ([]Case, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var cases []Case
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 1<<26)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		v, err := value.DecodeJSON([]byte(line))
		m, ok := v.(map[string]any)
		if err != nil || !ok {
			return nil, fmt.Errorf("%s:%d: not a JSON object: %v", path, n, err)
		}
		c := Case{}
		c.Name, _ = m["name"].(string)
		c.Canvas, _ = m["canvas"].(map[string]any)
		c.Expect, _ = m["expect"].(map[string]any)
		if c.Name == "" || c.Expect == nil {
			return nil, fmt.Errorf("%s:%d: a case needs a name and an expect object", path, n)
		}
		cases = append(cases, c)
	}
	return cases, sc.Err()
}

// ViewValue is a workflow view as the HTTP API writes it, decoded back.
func ViewValue(v *projector.WorkflowView) (map[string]any, error) {
	b, err := api.AppendWorkflowJSON(nil, v)
	if err != nil {
		return nil, err
	}
	out, err := value.DecodeJSON(b)
	if err != nil {
		return nil, err
	}
	m, ok := out.(map[string]any)
	if !ok {
		return nil, errors.New("conformance: a workflow is a JSON object")
	}
	return m, nil
}

// Check compares a finished workflow (its JSON, decoded) with the case and
// returns what differs; none means the case passed. took is the time from
// submission to the answer, in seconds.
func Check(c *Case, wf map[string]any, took float64) []string {
	exp := c.Expect
	var why []string
	if s, ok := exp["state"]; ok && wf["state"] != s {
		why = append(why, fmt.Sprintf("state %v != %v", wf["state"], s))
	}
	if r, ok := exp["result"]; ok && !value.Equal(wf["result"], r) {
		why = append(why, fmt.Sprintf("result %s != %s", short(wf["result"]), short(r)))
	}
	errv, _ := wf["error"].(map[string]any)
	if t, ok := exp["error_type"]; ok && (errv == nil || errv["type"] != t) {
		why = append(why, fmt.Sprintf("error type %v != %v", errv["type"], t))
	}
	if s, ok := exp["error_contains"].(string); ok {
		b, _ := value.MarshalJSON(errv)
		if !strings.Contains(string(b), s) {
			why = append(why, fmt.Sprintf("error %s lacks %q", b, s))
		}
	}
	tasks, _ := wf["tasks"].([]any)
	if want, ok := exp["task"].(map[string]any); ok && !hasTask(tasks, want) {
		why = append(why, fmt.Sprintf("no task like %s", short(want)))
	}
	if r, ok := exp["retries"]; ok {
		found := false
		for _, t := range tasks {
			if tm, ok := t.(map[string]any); ok && value.Equal(tm["retries"], r) {
				found = true
			}
		}
		if !found {
			why = append(why, fmt.Sprintf("no task with retries == %v", r))
		}
	}
	if c.SubmitTwice() && len(tasks) != 1 {
		why = append(why, fmt.Sprintf("%d tasks after submitting the same task_id twice", len(tasks)))
	}
	if m, ok := number(exp["min_seconds"]); ok && took < m {
		why = append(why, fmt.Sprintf("took %.2fs < %vs", took, m))
	}
	return why
}

func hasTask(tasks []any, want map[string]any) bool {
	for _, t := range tasks {
		tm, ok := t.(map[string]any)
		if !ok {
			continue
		}
		match := true
		for _, k := range []string{"name", "args", "state", "result"} {
			if w, has := want[k]; has && !value.Equal(tm[k], w) {
				match = false
			}
		}
		if match {
			return true
		}
	}
	return false
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func short(v any) string {
	b, err := value.MarshalJSON(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 200 {
		b = append(b[:200], "..."...)
	}
	return string(b)
}
