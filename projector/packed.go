package projector

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/fugue-run/fugue/canvas"
)

// A group's plain task members are not kept as PlanNodes: a chord of
// 100,000 would keep 100,000 of them (~120 bytes each, with the ~70 bytes
// of arguments each holds) for as long as it runs. Compile packs each run
// of them into a packedRun instead: their calls encoded one after the
// other (~20 bytes a task), read back when a node is asked for (Plan.Node).
//
// A plain member is a task (or a map or starmap) that gives no task_id
// and no link or link_error: it is one node, its id is made up, and it has
// no callbacks. Its options are what inherit makes of its own and what
// its group passes down, which it shares with the run's other members
// unless it has options of its own.

// packedRun is a run of plain task members of one group, numbered first,
// first+1, ..., at positions pos, pos+1, ... in it.
type packedRun struct {
	first, n int32
	// before is the number of packed members numbered before first.
	before int32
	group  int32
	pos    int32
	// opts are the members' options; eachOpts, when not nil, member k's
	// (members with options of their own).
	opts     *canvas.Options
	eachOpts []*canvas.Options
	// names are the members' task names, each once.
	names []string
	// calls holds member k's call from offs[k]: its name's index in names
	// and its Immutable flag (a uvarint, index<<1 | immutable), its args
	// and its kwargs (appendValue; null for a nil one).
	calls []byte
	offs  []uint32
}

func (r *packedRun) end() int32 { return r.first + r.n }

// node makes member k in pn.
func (r *packedRun) node(k int32, pn *PlanNode) {
	d := decoder{b: r.calls[r.offs[k]:]}
	h := d.uvarint()
	*pn = PlanNode{
		Task: r.names[h>>1], Immutable: h&1 == 1,
		Options: r.opts, Parent: r.group, Pos: r.pos + k, Kind: TaskNode,
	}
	pn.Args, _ = d.value().([]any)
	pn.Kwargs, _ = d.value().(map[string]any)
	if r.eachOpts != nil {
		pn.Options = r.eachOpts[k]
	}
	if d.err != nil {
		// Compile encoded it: nothing but a bug reads it short.
		panic(fmt.Sprintf("projector: packed call of node %d: %v", r.first+k, d.err))
	}
}

// packable reports whether member m of a group (normalised) can be packed.
func packable(m *canvas.Signature) bool {
	switch m.Kind {
	case canvas.KindTask, canvas.KindMap, canvas.KindStarmap:
	default:
		return false
	}
	o := &m.Options
	return o.TaskID == "" && len(o.Link) == 0 && len(o.LinkError) == 0
}

// packMember numbers plain member m of group at pos, with options opts, as the
// next node, adding it to the current run if it continues it.
func (c *compiler) packMember(m *canvas.Signature, group, pos int32, opts *canvas.Options) int32 {
	p := c.plan
	i := p.size
	r := c.run
	if r == nil || r.group != group || r.end() != i || r.pos+r.n != pos {
		before := int32(0)
		if k := len(p.runs); k > 0 {
			before = p.runs[k-1].before + p.runs[k-1].n
		}
		r = &packedRun{first: i, before: before, group: group, pos: pos, opts: opts}
		p.runs = append(p.runs, r)
		c.run = r
		clear(c.names)
	}
	if opts != r.opts && r.eachOpts == nil {
		r.eachOpts = make([]*canvas.Options, r.n, r.n+1)
		for k := range r.eachOpts {
			r.eachOpts[k] = r.opts
		}
	}
	if r.eachOpts != nil {
		r.eachOpts = append(r.eachOpts, opts)
	}
	name, ok := c.names[m.Task]
	if !ok {
		if c.names == nil {
			c.names = map[string]uint64{}
		}
		name = uint64(len(r.names))
		r.names = append(r.names, m.Task)
		c.names[m.Task] = name
	}
	h := name << 1
	if m.Immutable {
		h |= 1
	}
	r.offs = append(r.offs, uint32(len(r.calls)))
	r.calls = binary.AppendUvarint(r.calls, h)
	r.calls = appendNullable(r.calls, m.Args == nil, m.Args)
	r.calls = appendNullable(r.calls, m.Kwargs == nil, m.Kwargs)
	r.n++
	p.size++
	return i
}

// slot returns where node i is kept: p.nodes[k], or member k of run r.
func (p *Plan) slot(i int32) (k int32, r *packedRun) {
	if len(p.runs) == 0 {
		return i, nil
	}
	// The first run that ends after i.
	j := sort.Search(len(p.runs), func(j int) bool { return p.runs[j].end() > i })
	if j < len(p.runs) && p.runs[j].first <= i {
		return i - p.runs[j].first, p.runs[j]
	}
	if j == 0 {
		return i, nil
	}
	prev := p.runs[j-1]
	return i - prev.before - prev.n, nil
}

// Len is the number of nodes of the plan.
func (p *Plan) Len() int { return int(p.size) }

// Node returns node i. A packed member is made for the call, its Args and
// Kwargs decoded: where only its shape matters, Kind (and parent, pos,
// spliced, callbacks) read it without making it. Never modify a node.
func (p *Plan) Node(i int32) *PlanNode {
	return p.nodeIn(i, nil)
}

// nodeIn is Node, making a packed member in buf when it is not nil: a
// caller that keeps no pointer to it can keep it off the heap.
func (p *Plan) nodeIn(i int32, buf *PlanNode) *PlanNode {
	k, r := p.slot(i)
	if r == nil {
		return &p.nodes[k]
	}
	if buf == nil {
		buf = new(PlanNode)
	}
	r.node(k, buf)
	return buf
}

// Kind is node i's kind.
func (p *Plan) Kind(i int32) NodeKind {
	k, r := p.slot(i)
	if r != nil {
		return TaskNode
	}
	return p.nodes[k].Kind
}

// parent is node i's Parent.
func (p *Plan) parent(i int32) int32 {
	k, r := p.slot(i)
	if r != nil {
		return r.group
	}
	return p.nodes[k].Parent
}

// pos is node i's Pos.
func (p *Plan) pos(i int32) int32 {
	k, r := p.slot(i)
	if r != nil {
		return r.pos + k
	}
	return p.nodes[k].Pos
}

// spliced is node i's Spliced.
func (p *Plan) spliced(i int32) bool {
	k, r := p.slot(i)
	return r == nil && p.nodes[k].Spliced
}

// callbacks returns node i's callback roots and whether it is one itself,
// without making a packed node, which has none and is none.
func (p *Plan) callbacks(i int32) (links, errbacks []int32, callback bool) {
	k, r := p.slot(i)
	if r != nil {
		return nil, nil, false
	}
	n := &p.nodes[k]
	return n.Links(), n.Errbacks(), n.Callback
}

// stored returns node i when it is not packed, nil when it is.
func (p *Plan) stored(i int32) *PlanNode {
	k, r := p.slot(i)
	if r != nil {
		return nil
	}
	return &p.nodes[k]
}

// eachStored calls fn with each node that is not packed, in order.
func (p *Plan) eachStored(fn func(i int32, n *PlanNode)) {
	i, next := int32(0), 0
	for k := range p.nodes {
		for next < len(p.runs) && p.runs[next].first == i {
			i += p.runs[next].n
			next++
		}
		fn(i, &p.nodes[k])
		i++
	}
}
