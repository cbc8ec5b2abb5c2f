package projector_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFoldIsPure keeps what makes a fold impure out of the pure packages:
// no Kafka, Pebble or Prometheus anywhere in their dependencies, and no
// clock or random numbers in their code (time and ids come from events).
func TestFoldIsPure(t *testing.T) {
	t.Parallel()
	pure := []string{"../projector", "../canvas", "../value", "../events"}
	// Everything they depend on, transitively: no Kafka, Pebble, metrics.
	out, err := exec.Command("go", append([]string{"list", "-deps"}, pure...)...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/twmb/franz-go", "github.com/cockroachdb/pebble", "github.com/prometheus"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("the pure packages depend on %s", dep)
			}
		}
	}
	// What they import themselves: no randomness, no logging.
	out, err = exec.Command("go", append([]string{"list", "-f", `{{join .Imports "\n"}}`}, pure...)...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, imp := range strings.Fields(string(out)) {
		if imp == "math/rand" || imp == "math/rand/v2" || imp == "crypto/rand" || imp == "log/slog" || imp == "log" {
			t.Errorf("a pure package imports %s", imp)
		}
	}
	banned := map[string]bool{"time.Now": true, "time.Since": true, "time.Until": true, "time.Sleep": true, "os.Getenv": true}
	for _, dir := range pure {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok && banned[id.Name+"."+sel.Sel.Name] {
						t.Errorf("%s uses %s.%s", f, id.Name, sel.Sel.Name)
					}
				}
				return true
			})
		}
	}
}
