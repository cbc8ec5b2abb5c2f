package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fugue-run/fugue/canvas"
	"github.com/fugue-run/fugue/events"
	"github.com/fugue-run/fugue/internal/urlpath"
	"github.com/fugue-run/fugue/projector"
	"github.com/fugue-run/fugue/value"
)

// submit is POST /v1/workflows: validate the canvas whole, pick the
// workflow id (the root's task_id, else a new one), append it, and answer
// 201 {"id": …}. A canvas that is not valid, whose countdown or expires
// would take a task past Python's datetime.max (canvas.CheckDates), or
// whose values nest deeper than an event carries, is refused with 400 and
// its path; a body over Limits.MaxBytes with 413. Submitting a known id again
// appends nothing and answers as the first submission did. With a Router,
// all but the validation happens at the engine that owns the workflow's
// partition, so that the answer is the one a single engine gives.
func (s *server) submit(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	if at := invalidUTF8(body); at >= 0 {
		// JSON is UTF-8 (RFC 8259, 8.1); the decoder would take the byte
		// as U+FFFD and change the canvas unseen.
		s.refuse(w, r, fmt.Sprintf("canvas: invalid JSON at byte %d: not UTF-8", at+1))
		return
	}
	// Members of the canvas's lists are decoded as they are read, so that
	// the dicts of a chord of 100,000 tasks are never in memory together.
	v, err := value.DecodeCanvasJSON(body)
	if err != nil {
		// ParseJSON words a decoding error as it words every other.
		if _, perr := canvas.ParseJSON(body, s.cfg.Limits); perr != nil {
			err = perr
		}
		s.refuse(w, r, err.Error())
		return
	}
	sig, err := check(v, s.cfg.Limits, time.Now())
	if err != nil {
		s.refuse(w, r, err.Error())
		return
	}
	sub := &submission{sig: sig, wire: v.(map[string]any), size: len(body)} // a canvas's root can be nothing but a dict
	if reason := tooDeep(sub.wire); reason != "" {
		s.refuse(w, r, reason)
		return
	}

	id := sig.Options.TaskID
	var extra http.Header
	switch {
	case id != "":
	case forwarded(r) && r.Header.Get(HeaderWorkflowID) != "":
		id = r.Header.Get(HeaderWorkflowID) // named by the engine that forwarded it
	default:
		id = s.cfg.NewID()
		extra = http.Header{HeaderWorkflowID: {id}}
	}
	s.routed(w, r, "submit", id, body, extra,
		func() { s.submitHere(w, r, id, sub) },
		func(why error) { s.submitUnchecked(w, r, id, sub, why) })
}

// submission is a canvas being submitted: parsed, and in its wire form,
// whose members may be *value.Lazy still (value.DecodeCanvasJSON). Once
// it is appended both are let go (release), so that a large canvas is
// not held while the request waits for the engine to fold it.
type submission struct {
	sig  *canvas.Signature
	wire map[string]any
	size int // of the request body
}

func (sub *submission) release() { sub.sig, sub.wire = nil, nil }

// submitHere submits a canvas to this engine, which owns its workflow's
// partition: it answers as submit says.
func (s *server) submitHere(w http.ResponseWriter, r *http.Request, id string, sub *submission) {
	st := s.b.State()
	old, err := projector.Header(st, id)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if old != nil {
		s.submitted(w, r, id, old)
		return
	}
	reason, err := precheck(st, id, sub.sig)
	sub.sig = nil // only the wire form is appended
	if err != nil {
		s.internalError(w, r, err)
		return
	} else if reason != "" {
		s.refuse(w, r, reason)
		return
	}
	if !s.append(w, r, id, sub) {
		return
	}
	s.cfg.Logger.Debug("api: workflow submitted", "workflow", id, "bytes", sub.size)

	var seen *projector.Workflow
	if s.cfg.SubmitWait > 0 {
		_, err = s.await(r.Context(), s.cfg.SubmitWait, func(st projector.State) (bool, error) {
			w, err := projector.Header(st, id)
			seen = w
			return w != nil, err
		})
		if err != nil && r.Context().Err() == nil {
			s.internalError(w, r, err)
			return
		}
	}
	s.submitted(w, r, id, seen)
}

// submitUnchecked submits a canvas no engine can check now: the group is
// rebalancing, or the owner of its partition cannot be reached. The canvas
// was validated; what needs the owner's state (a known id, a task_id of
// another workflow) is left to the owner's Fold, which ignores a known id
// and rejects the rest with a WorkflowRejected, as it does for a stream
// producer's submission. So a submission is never refused for want of an
// engine: a single engine that restarts answers 201, as before routing.
func (s *server) submitUnchecked(w http.ResponseWriter, r *http.Request, id string, sub *submission, why error) {
	if !s.append(w, r, id, sub) {
		return
	}
	s.cfg.Logger.Info("api: workflow submitted unchecked: no engine owns its partition now", "workflow", id, "bytes", sub.size, "why", why)
	s.submitted(w, r, id, nil)
}

// append appends the submission of a canvas and releases it; false when
// it could not, after answering 413 (over Kafka's record limit) or 503.
func (s *server) append(w http.ResponseWriter, r *http.Request, id string, sub *submission) bool {
	err := s.b.Submit(r.Context(), id, sub.wire)
	sub.release()
	switch {
	case err == nil:
		return true
	case errors.Is(err, canvas.ErrLimit):
		writeError(w, http.StatusRequestEntityTooLarge, err.Error())
	default:
		s.cfg.Logger.Error("api: submit failed", "workflow", id, "err", err)
		writeError(w, http.StatusServiceUnavailable, "submit: "+err.Error())
	}
	return false
}

// submitted answers a submission the engine accepted (201), or refused
// when it folded it (400 with its reason). w is nil when the engine has
// not folded it yet.
func (s *server) submitted(rw http.ResponseWriter, r *http.Request, id string, w *projector.Workflow) {
	if w != nil && w.Rejected != "" {
		s.refuse(rw, r, w.Rejected)
		return
	}
	rw.Header().Set("Location", "/v1/workflows/"+urlpath.Segment(id))
	writeID(rw, http.StatusCreated, id)
}

// readBody reads the request body up to Limits.MaxBytes; past that it
// answers 413.
func (s *server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if enc := r.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
		// Read as it came, a gzip body was "invalid JSON at byte 1".
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("canvas: Content-Encoding %s is not supported: send the JSON as it is", enc))
		return nil, false
	}
	limit := int64(s.cfg.Limits.MaxBytes)
	tooLarge := func() {
		msg := fmt.Sprintf("canvas: the request body exceeds the limit of %d bytes", limit)
		s.cfg.Logger.Debug("api: canvas refused", "reason", msg)
		writeError(w, http.StatusRequestEntityTooLarge, msg)
	}
	if r.ContentLength > limit {
		tooLarge()
		return nil, false
	}
	body, err := readAll(http.MaxBytesReader(w, r.Body, limit), r.ContentLength)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		tooLarge()
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, "reading the request body: "+err.Error())
		return nil, false
	}
	return body, true
}

// readAll is io.ReadAll for a body of size bytes (-1: unknown), read into
// one buffer of that size: io.ReadAll starts small and grows by copying, so
// that the 10 MB body of a chord of 100,000 left 23 MB of buffers to the
// garbage collector. size is the request's Content-Length, which net/http
// holds the body to.
func readAll(r io.Reader, size int64) ([]byte, error) {
	if size < 0 {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, size+1) // +1: the read that finds the end
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		switch {
		case err == io.EOF:
			return b, nil
		case err != nil:
			return b, err
		case len(b) == cap(b):
			b = append(b, 0)[:len(b)] // more than size: grow as io.ReadAll does
		}
	}
}

// refuse answers 400 {"error": reason}.
func (s *server) refuse(w http.ResponseWriter, r *http.Request, reason string) {
	s.cfg.Logger.Debug("api: canvas refused", "reason", reason, "remote", r.RemoteAddr)
	writeError(w, http.StatusBadRequest, reason)
}

// tooDeep refuses a canvas whose values nest deeper than its
// WorkflowSubmitted event can carry (events.MaxDepth), which the engine
// could not append: the reason names where, with the path cut short (it
// runs to 1.5 KB and more). "" when the canvas is not too deep.
func tooDeep(wire map[string]any) string {
	path, deep := events.CanvasTooDeep(wire)
	if !deep {
		return ""
	}
	return fmt.Sprintf("%s: lists and dicts nest deeper than %d levels", events.CutPath(path, events.ShortPath), events.MaxDepth)
}

// check parses and checks the canvas v (from value.DecodeCanvasJSON) as
// Fold does, with Fold's errors. Fold checks its dates again with the
// submission's event time, a moment later, for a stream producer's canvas
// too. The signature it returns is the whole canvas only when there is
// more to check below its root (a task_id, a date), which precheck needs
// the whole canvas for; v's members are then decoded in place
// (value.Materialize). Otherwise it is the root alone, which is all
// precheck reads: the API then never holds a large canvas's Signatures
// together, nor its members' dicts.
func check(v any, lim canvas.Limits, now time.Time) (*canvas.Signature, error) {
	in, err := canvas.Inspect(v, lim, now)
	if err != nil {
		return nil, err
	}
	if !in.Whole {
		return &canvas.Signature{Options: canvas.Options{TaskID: in.TaskID}}, nil
	}
	if _, err := value.Materialize(v); err != nil {
		return nil, err
	}
	sig, err := canvas.FromOwnedValue(v, lim)
	if err == nil {
		err = sig.CheckDates(now)
	}
	return sig, err
}

// precheck refuses what the engine would reject after the fact, with the
// engine's own checks in its order and words: ids another workflow uses
// (projector.CheckIDs), then a canvas whose plan does not compile (a
// task_id used twice). The engine checks again (two submissions may
// race); this only keeps refused canvases out of the log where it can.
func precheck(st projector.State, id string, sig *canvas.Signature) (string, error) {
	err := projector.CheckIDs(st, id, sig)
	var conflict *projector.IDConflictError
	if errors.As(err, &conflict) {
		return err.Error(), nil
	} else if err != nil {
		return "", err
	}
	// Without a task_id below the root, the plan's ids are the workflow's
	// own and "<id>.<n>": none can be used twice, and compiling a large
	// canvas here only to find that out costs a plan's memory.
	if taskIDBelow(sig) {
		if _, err := projector.Compile(id, sig); err != nil {
			return err.Error(), nil
		}
	}
	return "", nil
}

// taskIDBelow reports whether a signature of s other than s itself (a
// member, a chord's header group or body, the inner task of a map or of
// chunks, a callback) gives a task_id.
func taskIDBelow(s *canvas.Signature) bool {
	for _, l := range [][]*canvas.Signature{s.Tasks, s.Options.Link, s.Options.LinkError, {s.Body, s.Inner, s.HeaderGroup}} {
		for _, m := range l {
			if m != nil && (m.Options.TaskID != "" || taskIDBelow(m)) {
				return true
			}
		}
	}
	return false
}

// invalidUTF8 returns the offset of the first byte of b that is not
// valid UTF-8, or -1.
func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}
