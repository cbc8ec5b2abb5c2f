package worker

import (
	"slices"
	"strings"
	"sync"
)

// Registry maps task names to tasks. Every Registry has the built-in tasks
// celery.map and celery.starmap. It is safe for concurrent use; register
// tasks before running any.
type Registry struct {
	mu    sync.RWMutex
	tasks map[string]Task
}

// NewRegistry returns a Registry holding only the built-in tasks.
func NewRegistry() *Registry {
	r := &Registry{tasks: make(map[string]Task)}
	r.tasks[MapTask] = newTask(MapTask, r.xmap, nil)
	r.tasks[StarmapTask] = newTask(StarmapTask, r.xstarmap, nil)
	return r
}

// Register adds the task name, run by f, with Celery's defaults (see
// Task) changed by opts. It panics when name is empty, starts with
// "celery." (reserved for built-ins) or is registered already, or when f
// is nil: these are programming errors.
func (r *Registry) Register(name string, f Func, opts ...TaskOption) {
	switch {
	case name == "":
		panic("worker: Register: empty task name")
	case strings.HasPrefix(name, "celery."):
		panic("worker: Register: task name " + name + " is reserved")
	case f == nil:
		panic("worker: Register: nil Func for " + name)
	}
	t := newTask(name, f, opts)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.tasks[name]; dup {
		panic("worker: Register: task " + name + " is already registered")
	}
	r.tasks[name] = t
}

// Lookup returns the task registered as name.
func (r *Registry) Lookup(name string) (Task, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	t, ok := r.tasks[name]
	return t, ok
}

// Names returns the registered task names, built-ins included, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.tasks))
	for n := range r.tasks {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
