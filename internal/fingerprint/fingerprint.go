// Package fingerprint computes the content hash of Service Health issues,
// Message Center posts and service health overviews: a canonical encoding
// that ignores what Microsoft re-encodes without changing anything.
package fingerprint

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// Hash returns the content hash of an *model.Issue, *model.Message or
// *model.ServiceHealth (see Issue); "" for anything else or nil.
func Of(item any) string {
	switch v := item.(type) {
	case *model.Issue:
		if v != nil {
			return Issue(v)
		}
	case *model.Message:
		if v != nil {
			return Message(v)
		}
	case *model.ServiceHealth:
		if v != nil {
			return Service(v)
		}
	}
	return ""
}

// hashVersion starts every hashed encoding, so that a change of the
// encoding below can never collide with hashes stored by another version.
const hashVersion = "shdmc/hash/v2\x00"

// Issue returns the content hash of an issue: the hex SHA-256 (64
// digits) of a canonical binary encoding that leaves out LastModified, so
// that Microsoft touching an item without changing it creates no revision.
//
// Canonical means: every field in a fixed order, strings length-prefixed,
// times as their UTC instant, posts and details as sets (their order does
// not matter), and every text field with CRLF/CR turned into LF and
// trailing spaces and tabs trimmed from each line, trailing newlines
// dropped. Text is NOT width-folded or otherwise Unicode-normalized:
// full-width and half-width characters are different text to a reader, and
// a hash that ignored them would hide a real edit. The line-ending and
// trailing-space rules only absorb the re-encodings seen from Graph and
// from CLI captures.
//
// The encoding depends only on the item's values (no maps, no memory
// layout), so the hash is the same across runs, machines and Go versions.
func Issue(i *model.Issue) string {
	n := len(i.ID) + len(i.Title) + len(i.Service) + len(i.Feature) + len(i.FeatureGroup) +
		len(i.ImpactDescription) + len(i.Classification) + len(i.Origin) + len(i.Status) + 256
	for k := range i.Posts {
		n += len(i.Posts[k].Content) + len(i.Posts[k].Type) + len(i.Posts[k].ContentType) + 48
	}
	for k := range i.Details {
		n += len(i.Details[k].Name) + len(i.Details[k].Value) + 24
	}
	e := encoder{b: make([]byte, 0, n)}
	e.b = append(e.b, hashVersion+"issue\x00"...)
	e.text(i.ID)
	e.text(i.Title)
	e.text(i.Service)
	e.text(i.Feature)
	e.text(i.FeatureGroup)
	e.str(string(i.Classification))
	e.str(string(i.Origin))
	e.str(string(i.Status))
	e.text(i.ImpactDescription)
	e.bool(i.IsResolved)
	e.time(i.Start)
	e.time(i.End)
	e.details(i.Details)
	var ends [16]int
	set := e.beginSet(len(i.Posts), ends[:0])
	for k := range i.Posts {
		p := &i.Posts[k]
		e.time(p.Created) // first, so that posts sort by creation time
		e.str(string(p.Type))
		e.str(p.ContentType)
		e.text(p.Content)
		set = set.add(&e)
	}
	e.endSet(set)
	return e.sum()
}

// Message returns the content hash of a Message Center post, leaving out
// only LastModified; the rules are those of Issue. Services, tags,
// attachments and details are hashed as sets.
func Message(m *model.Message) string {
	n := len(m.ID) + len(m.Title) + len(m.Category) + len(m.Severity) + len(m.BodyType) + len(m.Body) + 256
	for _, s := range m.Services {
		n += len(s) + 8
	}
	for _, s := range m.Tags {
		n += len(s) + 8
	}
	for k := range m.Attachments {
		a := &m.Attachments[k]
		n += len(a.ID) + len(a.Name) + len(a.ContentType) + 56
	}
	for k := range m.Details {
		n += len(m.Details[k].Name) + len(m.Details[k].Value) + 24
	}
	e := encoder{b: make([]byte, 0, n)}
	e.b = append(e.b, hashVersion+"message\x00"...)
	e.text(m.ID)
	e.text(m.Title)
	e.str(string(m.Category))
	e.str(string(m.Severity))
	e.texts(m.Services)
	e.texts(m.Tags)
	e.bool(m.IsMajorChange)
	e.time(m.ActionRequiredBy)
	e.time(m.Start)
	e.time(m.End)
	e.str(m.BodyType)
	e.text(m.Body)
	e.bool(m.HasAttachments)
	var ends [16]int
	set := e.beginSet(len(m.Attachments), ends[:0])
	for k := range m.Attachments {
		a := &m.Attachments[k]
		e.str(a.ID)
		e.text(a.Name)
		e.str(a.ContentType)
		e.u64(uint64(a.Size))
		e.time(a.LastModified)
		set = set.add(&e)
	}
	e.endSet(set)
	e.details(m.Details)
	return e.sum()
}

// Service returns the content hash of a service's health overview.
func Service(s *model.ServiceHealth) string {
	e := encoder{b: make([]byte, 0, len(s.ID)+len(s.Service)+len(s.Status)+64)}
	e.b = append(e.b, hashVersion+"service\x00"...)
	e.text(s.ID)
	e.text(s.Service)
	e.str(string(s.Status))
	return e.sum()
}

// encoder builds the canonical encoding that is hashed. Every value is
// either fixed-size or length-prefixed, so the encoding of an item is
// unambiguous.
type encoder struct {
	b []byte
}

func (e *encoder) u64(v uint64) { e.b = binary.BigEndian.AppendUint64(e.b, v) }

func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// str appends s as it is (enum values, content types, ids).
func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	e.b = append(e.b, s...)
}

// text appends the canonical form of s (see CanonText).
func (e *encoder) text(s string) {
	at := len(e.b)
	e.u64(0)
	e.b = appendCanon(e.b, s)
	binary.BigEndian.PutUint64(e.b[at:], uint64(len(e.b)-at-8))
}

// time appends the instant of t: seconds since 1970 (offset so that the
// bytes sort as the times do) and nanoseconds. The zone is ignored.
func (e *encoder) time(t time.Time) {
	e.u64(uint64(t.Unix()) ^ 1<<63)
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(t.Nanosecond()))
}

func (e *encoder) details(kvs []model.KeyValue) {
	var ends [16]int
	set := e.beginSet(len(kvs), ends[:0])
	for k := range kvs {
		e.text(kvs[k].Name)
		e.text(kvs[k].Value)
		set = set.add(e)
	}
	e.endSet(set)
}

// texts appends a set of texts.
func (e *encoder) texts(ss []string) {
	var ends [16]int
	set := e.beginSet(len(ss), ends[:0])
	for _, s := range ss {
		e.text(s)
		set = set.add(e)
	}
	e.endSet(set)
}

// setState tracks the elements of a set being appended: beginSet, then
// set = set.add(e) after appending each element, then endSet. It is passed
// by value so that its stack-backed ends slice stays on the stack.
type setState struct {
	start int
	ends  []int // end offset of each element
}

// beginSet starts a set of n elements. ends is the (usually stack-backed)
// slice to record the element offsets in.
func (e *encoder) beginSet(n int, ends []int) setState {
	e.u64(uint64(n))
	return setState{start: len(e.b), ends: ends}
}

// add records the end of the element just appended.
func (s setState) add(e *encoder) setState {
	s.ends = append(s.ends, len(e.b))
	return s
}

// endSet puts the encoded elements in byte order (only copying when they
// are not in order already), so that any order of the same elements hashes
// the same.
func (e *encoder) endSet(s setState) {
	n := len(s.ends)
	sorted := true
	for k, from := 1, s.start; k < n; k++ {
		if bytes.Compare(e.b[from:s.ends[k-1]], e.b[s.ends[k-1]:s.ends[k]]) > 0 {
			sorted = false
			break
		}
		from = s.ends[k-1]
	}
	if sorted {
		return
	}
	region := slices.Clone(e.b[s.start:])
	elems := make([][]byte, n)
	for k := range n {
		lo := s.start
		if k > 0 {
			lo = s.ends[k-1]
		}
		elems[k] = region[lo-s.start : s.ends[k]-s.start]
	}
	slices.SortFunc(elems, bytes.Compare)
	e.b = e.b[:s.start]
	for _, el := range elems {
		e.b = append(e.b, el...)
	}
}

// sum returns the hex SHA-256 of the encoding.
func (e *encoder) sum() string {
	h := sha256.Sum256(e.b)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], h[:])
	return string(out[:])
}

// CanonText turns CRLF and CR into LF, trims trailing spaces and tabs from
// every line and drops trailing newlines.
func CanonText(s string) string {
	if isCanon(s) {
		return s
	}
	return string(appendCanon(make([]byte, 0, len(s)), s))
}

// isCanon reports whether CanonText(s) == s.
func isCanon(s string) bool {
	if s == "" {
		return true
	}
	switch s[len(s)-1] {
	case ' ', '\t', '\n', '\r':
		return false
	}
	if strings.IndexByte(s, '\r') >= 0 {
		return false
	}
	for i := strings.IndexByte(s, '\n'); i >= 0; {
		if i > 0 && (s[i-1] == ' ' || s[i-1] == '\t') {
			return false
		}
		j := strings.IndexByte(s[i+1:], '\n')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return true
}

// appendCanon appends CanonText(s) to b. Text that is already canonical
// but for a few lines is copied in a few runs, not line by line.
func appendCanon(b []byte, s string) []byte {
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	start := len(b)
	from := 0 // s[from:] is not yet appended
	for i := strings.IndexByte(s, '\n'); i >= 0; {
		if i > from && (s[i-1] == ' ' || s[i-1] == '\t') {
			j := i - 1
			for j > from && (s[j-1] == ' ' || s[j-1] == '\t') {
				j--
			}
			b = append(b, s[from:j]...)
			from = i
		}
		k := strings.IndexByte(s[i+1:], '\n')
		if k < 0 {
			break
		}
		i += 1 + k
	}
	b = append(b, strings.TrimRight(s[from:], " \t")...)
	for len(b) > start && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	return b
}

// SortedText returns the canonical forms of in, sorted.
func SortedText(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		out = append(out, CanonText(s))
	}
	slices.Sort(out)
	return out
}
