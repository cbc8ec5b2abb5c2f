package events

import (
	"encoding/binary"
	"strconv"
	"strings"

	"github.com/hamba/avro/v2"
)

// headerLen is the length of the single-object header: the marker 0xC3
// 0x01, then the writer schema's fingerprint, 8 bytes little-endian.
const headerLen = 10

// CanonicalForm returns the Parsing Canonical Form of an Avro schema text,
// as the Avro specification defines it: only the attributes type, name,
// fields, symbols, items, values and size, in that order, full names,
// every named type spelled out at its first use and referred to by name
// after, no white space. It is what fingerprints are taken of.
//
// It differs from hamba/avro's Schema.String, which keeps logicalType and
// so gives fingerprints that Java's and Python's Avro libraries do not.
func CanonicalForm(schema []byte) (string, error) {
	s, err := parseSchema(schema)
	if err != nil {
		return "", err
	}
	return canonicalForm(s), nil
}

// Fingerprint returns the CRC-64-AVRO fingerprint of an Avro schema text
// (of its Parsing Canonical Form). Single-object records carry it, little
// endian, after their two-byte marker.
func Fingerprint(schema []byte) (uint64, error) {
	s, err := parseSchema(schema)
	if err != nil {
		return 0, err
	}
	return fingerprint(s), nil
}

// parseSchema parses a schema with a cache of its own: hamba/avro's
// default cache is global.
func parseSchema(text []byte) (avro.Schema, error) {
	return avro.ParseBytesWithCache(text, "", &avro.SchemaCache{})
}

func fingerprint(s avro.Schema) uint64 {
	return crc64Avro([]byte(canonicalForm(s)))
}

// crc64Avro is the Rabin fingerprint of the Avro specification
// ("Schema Fingerprints"), computed without a table: it only ever sees a
// few schemas, once.
func crc64Avro(b []byte) uint64 {
	const empty = 0xc15d213aa4d7a795
	fp := uint64(empty)
	for _, c := range b {
		t := (fp ^ uint64(c)) & 0xff
		for range 8 {
			t = (t >> 1) ^ (empty & -(t & 1))
		}
		fp = (fp >> 8) ^ t
	}
	return fp
}

// header returns the single-object header for a fingerprint.
func header(fp uint64) [headerLen]byte {
	var h [headerLen]byte
	h[0], h[1] = 0xc3, 0x01
	binary.LittleEndian.PutUint64(h[2:], fp)
	return h
}

// readHeader returns the writer fingerprint of a single-object record.
func readHeader(b []byte) (uint64, error) {
	if len(b) < headerLen || !IsRecord(b) {
		return 0, ErrNotSingleObject
	}
	return binary.LittleEndian.Uint64(b[2:headerLen]), nil
}

func canonicalForm(s avro.Schema) string {
	var sb strings.Builder
	writeCanonical(&sb, s, map[string]bool{})
	return sb.String()
}

func writeCanonical(sb *strings.Builder, s avro.Schema, seen map[string]bool) {
	quote := func(v string) { sb.WriteString(strconv.Quote(v)) } // names and symbols are plain ASCII
	if n, ok := s.(avro.NamedSchema); ok {
		if seen[n.FullName()] {
			quote(n.FullName())
			return
		}
		seen[n.FullName()] = true
	}
	switch x := s.(type) {
	case *avro.RefSchema:
		quote(x.Schema().FullName())
	case *avro.PrimitiveSchema:
		quote(string(x.Type()))
	case *avro.NullSchema:
		quote(string(avro.Null))
	case *avro.RecordSchema:
		typ := "record"
		if x.IsError() {
			typ = "error"
		}
		sb.WriteString(`{"name":`)
		quote(x.FullName())
		sb.WriteString(`,"type":`)
		quote(typ)
		sb.WriteString(`,"fields":[`)
		for i, f := range x.Fields() {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(`{"name":`)
			quote(f.Name())
			sb.WriteString(`,"type":`)
			writeCanonical(sb, f.Type(), seen)
			sb.WriteByte('}')
		}
		sb.WriteString(`]}`)
	case *avro.EnumSchema:
		sb.WriteString(`{"name":`)
		quote(x.FullName())
		sb.WriteString(`,"type":"enum","symbols":[`)
		for i, sym := range x.Symbols() {
			if i > 0 {
				sb.WriteByte(',')
			}
			quote(sym)
		}
		sb.WriteString(`]}`)
	case *avro.FixedSchema:
		sb.WriteString(`{"name":`)
		quote(x.FullName())
		sb.WriteString(`,"type":"fixed","size":`)
		sb.WriteString(strconv.Itoa(x.Size()))
		sb.WriteByte('}')
	case *avro.ArraySchema:
		sb.WriteString(`{"type":"array","items":`)
		writeCanonical(sb, x.Items(), seen)
		sb.WriteByte('}')
	case *avro.MapSchema:
		sb.WriteString(`{"type":"map","values":`)
		writeCanonical(sb, x.Values(), seen)
		sb.WriteByte('}')
	case *avro.UnionSchema:
		sb.WriteByte('[')
		for i, t := range x.Types() {
			if i > 0 {
				sb.WriteByte(',')
			}
			writeCanonical(sb, t, seen)
		}
		sb.WriteByte(']')
	default:
		quote(string(s.Type()))
	}
}
