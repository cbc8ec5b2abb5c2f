package schemas

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

// FS holds the released schema files: vN/event.avsc and vN/signature.avsc
// for every released version N. Treat it as read-only.
//
//go:embed v*/*.avsc
var FS embed.FS

// Latest is the newest released schema version: the one Fugue writes and
// reads everything into. Older versions stay in FS as known writers.
const Latest = 3

// Versions returns the released schema versions found in FS, oldest first.
func Versions() []int {
	entries, err := fs.ReadDir(FS, ".")
	if err != nil {
		return nil // cannot happen: FS always has a root
	}
	var vs []int
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), "v")
		if !e.IsDir() || !ok {
			continue
		}
		if n, err := strconv.Atoi(name); err == nil && n > 0 {
			vs = append(vs, n)
		}
	}
	slices.Sort(vs)
	return vs
}

// Event returns the text of the Event envelope schema of a version: one
// self-contained Avro schema holding every record the events topic uses.
func Event(version int) ([]byte, error) {
	return read(version, "event.avsc")
}

// Signature returns the text of the stand-alone Signature schema of a
// version: the canvas record of Event's WorkflowSubmitted, on its own.
func Signature(version int) ([]byte, error) {
	return read(version, "signature.avsc")
}

func read(version int, file string) ([]byte, error) {
	b, err := FS.ReadFile(fmt.Sprintf("v%d/%s", version, file))
	if err != nil {
		return nil, fmt.Errorf("schemas: version %d has no %s: %w", version, file, err)
	}
	return b, nil
}
