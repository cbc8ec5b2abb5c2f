package events

import (
	"fmt"

	"github.com/hamba/avro/v2"
)

// Schema resolution: reading a record written with an older schema.
//
// hamba/avro's SchemaCompatibility.Resolve would build a resolved schema,
// but it recurses without end on a recursive schema (our Value) and
// overflows the stack (hamba/avro v2.31.0). So Fugue uses hamba's
// Compatible, which does guard recursion, to decide whether a writer
// schema can be read at all, and compiles its own resolution plan here,
// following the rules of the Avro specification ("Schema Resolution"):
// record fields match by name (or the reader field's aliases), writer
// fields the reader lacks are skipped, reader fields the writer lacks take
// their default, union branches match by name or type, and int, long,
// float, string and bytes promote as the specification allows.
//
// A plan transcodes: it reads the writer's binary and writes the same data
// in the reader's binary, which the one hand-written decoder of today's
// schema then reads. Plans are compiled once per writer schema, when the
// Codec is made, and shared read-only.

// planKey identifies a pair of records being resolved.
type planKey struct{ reader, writer avro.NamedSchema }

// planner compiles resolution plans.
type planner struct {
	records map[planKey]*recordPlan // also breaks recursion: filled before its fields
}

// compilePlan returns a transcoder from writer-encoded to reader-encoded
// data. The schemas must be compatible (avro.SchemaCompatibility.Compatible).
func compilePlan(reader, writer avro.Schema) (transcoder, error) {
	p := &planner{records: map[planKey]*recordPlan{}}
	return p.compile(reader, writer)
}

func deref(s avro.Schema) avro.Schema {
	if ref, ok := s.(*avro.RefSchema); ok {
		return ref.Schema()
	}
	return s
}

func (p *planner) compile(reader, writer avro.Schema) (transcoder, error) {
	reader, writer = deref(reader), deref(writer)

	if wu, ok := writer.(*avro.UnionSchema); ok {
		return p.fromUnion(reader, wu)
	}
	if ru, ok := reader.(*avro.UnionSchema); ok {
		i, err := matchBranch(ru, writer)
		if err != nil {
			return nil, err
		}
		t, err := p.compile(ru.Types()[i], writer)
		if err != nil {
			return nil, err
		}
		return &toUnion{branch: int64(i), t: t}, nil
	}

	rt, wt := reader.Type(), writer.Type()
	if rt != wt {
		if promotable(wt, rt) {
			return promotion{from: wt, to: rt}, nil
		}
		return nil, fmt.Errorf("%s cannot be read as %s", wt, rt)
	}
	switch wt {
	case avro.Null, avro.Boolean, avro.Int, avro.Long, avro.Float, avro.Double, avro.String, avro.Bytes:
		return primitive(wt), nil
	case avro.Array:
		t, err := p.compile(reader.(*avro.ArraySchema).Items(), writer.(*avro.ArraySchema).Items())
		if err != nil {
			return nil, err
		}
		return &arrayPlan{items: t, minItem: minSize(writer.(*avro.ArraySchema).Items())}, nil
	case avro.Map:
		t, err := p.compile(reader.(*avro.MapSchema).Values(), writer.(*avro.MapSchema).Values())
		if err != nil {
			return nil, err
		}
		return &mapPlan{values: t, minItem: 1 + minSize(writer.(*avro.MapSchema).Values())}, nil
	case avro.Fixed:
		r, w := reader.(*avro.FixedSchema), writer.(*avro.FixedSchema)
		if r.Size() != w.Size() {
			return nil, fmt.Errorf("fixed %s: size %d cannot be read as %d", w.FullName(), w.Size(), r.Size())
		}
		return fixedPlan(w.Size()), nil
	case avro.Enum:
		return compileEnum(reader.(*avro.EnumSchema), writer.(*avro.EnumSchema))
	case avro.Record:
		return p.compileRecord(reader.(*avro.RecordSchema), writer.(*avro.RecordSchema))
	}
	return nil, fmt.Errorf("schema type %s is not supported", wt)
}

// fromUnion plans a writer union: every branch the writer may have chosen
// must be readable.
func (p *planner) fromUnion(reader avro.Schema, w *avro.UnionSchema) (transcoder, error) {
	u := &unionPlan{name: "union", branches: make([]transcoder, len(w.Types()))}
	for i, wb := range w.Types() {
		t, err := p.compile(reader, wb)
		if err != nil {
			return nil, fmt.Errorf("union branch %s: %w", typeName(wb), err)
		}
		u.branches[i] = t
	}
	return u, nil
}

// matchBranch picks the reader union branch for a writer schema: the first
// of the same name (named types) or type, else the first the writer's type
// promotes to.
func matchBranch(ru *avro.UnionSchema, writer avro.Schema) (int, error) {
	for i, rb := range ru.Types() {
		rb = deref(rb)
		if rb.Type() != writer.Type() {
			continue
		}
		rn, rok := rb.(avro.NamedSchema)
		wn, wok := writer.(avro.NamedSchema)
		if !rok || !wok || sameName(rn, wn) {
			return i, nil
		}
	}
	for i, rb := range ru.Types() {
		if promotable(writer.Type(), deref(rb).Type()) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("reader union has no branch for %s", typeName(writer))
}

func sameName(r, w avro.NamedSchema) bool {
	if r.FullName() == w.FullName() || r.Name() == w.Name() {
		return true
	}
	for _, a := range r.Aliases() {
		if a == w.FullName() {
			return true
		}
	}
	return false
}

func typeName(s avro.Schema) string {
	if n, ok := deref(s).(avro.NamedSchema); ok {
		return n.FullName()
	}
	return string(s.Type())
}

func promotable(from, to avro.Type) bool {
	switch from {
	case avro.Int:
		return to == avro.Long || to == avro.Float || to == avro.Double
	case avro.Long:
		return to == avro.Float || to == avro.Double
	case avro.Float:
		return to == avro.Double
	case avro.String:
		return to == avro.Bytes
	case avro.Bytes:
		return to == avro.String
	}
	return false
}

// minSize is the fewest bytes an item of s takes, to bound block counts;
// 0 when it may take none.
func minSize(s avro.Schema) int {
	switch x := deref(s).(type) {
	case *avro.NullSchema:
		return 0
	case *avro.PrimitiveSchema:
		switch x.Type() {
		case avro.Null:
			return 0
		case avro.Float:
			return 4
		case avro.Double:
			return 8
		}
		return 1
	case *avro.FixedSchema:
		return x.Size()
	case *avro.RecordSchema:
		// A record takes a byte when a field does. Fields that are
		// records are not looked into, which keeps this from recursing;
		// 0 is the safe answer.
		for _, f := range x.Fields() {
			if _, ok := deref(f.Type()).(*avro.RecordSchema); !ok && minSize(f.Type()) > 0 {
				return 1
			}
		}
		return 0
	}
	return 1 // unions, enums, arrays, maps: at least their index or count
}

func (p *planner) compileRecord(r, w *avro.RecordSchema) (transcoder, error) {
	key := planKey{reader: r, writer: w}
	if rp, ok := p.records[key]; ok {
		return rp, nil
	}
	rp := &recordPlan{name: r.FullName(), nReader: len(r.Fields())}
	p.records[key] = rp

	seen := make([]bool, len(r.Fields()))
	rp.inOrder = len(r.Fields()) == len(w.Fields())
	for wi, wf := range w.Fields() {
		ri := readerField(r, wf)
		if ri < 0 {
			rp.inOrder = false
			t, err := p.compile(wf.Type(), wf.Type()) // identity, to skip
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", w.FullName(), wf.Name(), err)
			}
			rp.fields = append(rp.fields, fieldPlan{reader: -1, t: t})
			continue
		}
		if ri != wi {
			rp.inOrder = false
		}
		seen[ri] = true
		t, err := p.compile(r.Fields()[ri].Type(), wf.Type())
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", r.FullName(), wf.Name(), err)
		}
		if u, ok := t.(*unionPlan); ok {
			u.name = w.FullName() + "." + wf.Name() // for errors
		}
		rp.fields = append(rp.fields, fieldPlan{reader: ri, t: t})
	}
	rp.defaults = make([][]byte, len(r.Fields()))
	for ri, rf := range r.Fields() {
		if seen[ri] {
			continue
		}
		if !rf.HasDefault() {
			return nil, fmt.Errorf("%s.%s: not in the writer schema and no default", r.FullName(), rf.Name())
		}
		def, err := appendDefault(nil, rf.Type(), rf.Default())
		if err != nil {
			return nil, fmt.Errorf("%s.%s: default: %w", r.FullName(), rf.Name(), err)
		}
		rp.defaults[ri] = def
	}
	return rp, nil
}

// readerField finds the reader field for a writer field: same name, or a
// reader alias naming it.
func readerField(r *avro.RecordSchema, wf *avro.Field) int {
	for i, rf := range r.Fields() {
		if rf.Name() == wf.Name() {
			return i
		}
	}
	for i, rf := range r.Fields() {
		for _, a := range rf.Aliases() {
			if a == wf.Name() {
				return i
			}
		}
	}
	return -1
}

func compileEnum(r, w *avro.EnumSchema) (transcoder, error) {
	p := &enumPlan{name: w.FullName(), to: make([]int64, len(w.Symbols()))}
	def := int64(-1)
	for i, s := range r.Symbols() {
		if r.HasDefault() && s == r.Default() {
			def = int64(i)
		}
	}
	for wi, ws := range w.Symbols() {
		p.to[wi] = def
		for ri, rs := range r.Symbols() {
			if rs == ws {
				p.to[wi] = int64(ri)
			}
		}
	}
	return p, nil
}
