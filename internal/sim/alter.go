package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// farFuture is the lastModifiedDateTime FaultFutureTime sets.
var farFuture = time.Date(9999, 12, 31, 23, 59, 59, 999999900, time.UTC)

// member is one member of a JSON object, its value kept as sent.
type member struct {
	key string
	val json.RawMessage
}

// members splits a JSON object into its members, in order.
func members(raw []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	var out []member
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{key: k, val: v})
	}
	return out, nil
}

// object joins members back into a JSON object.
func object(ms []member) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, m.key)
		b.WriteByte(':')
		b.Write(m.val)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// edit returns a copy of it whose JSON f has changed; f may return the
// members to keep. Items that do not parse are returned unchanged.
func edit(it *item, f func(ms []member) []member) *item {
	ms, err := members(it.raw)
	if err != nil {
		return it
	}
	cp := *it
	cp.raw = object(f(ms))
	return &cp
}

func setMember(ms []member, key string, v any) []member {
	raw, _ := marshal(v)
	for i := range ms {
		if ms[i].key == key {
			ms[i].val = raw
			return ms
		}
	}
	return append(ms, member{key: key, val: raw})
}

// flatPosts rewrites posts[].description{contentType, content} as
// posts[].contentType and posts[].content.
func flatPosts(ms []member) []member {
	for i := range ms {
		if ms[i].key != "posts" {
			continue
		}
		var posts []json.RawMessage
		if json.Unmarshal(ms[i].val, &posts) != nil {
			return ms
		}
		var out []json.RawMessage
		for _, p := range posts {
			pm, err := members(p)
			if err != nil {
				out = append(out, p)
				continue
			}
			var flat []member
			for _, m := range pm {
				if m.key != "description" {
					flat = append(flat, m)
					continue
				}
				var d wireBody
				if json.Unmarshal(m.val, &d) == nil {
					flat = setMember(flat, "contentType", d.ContentType)
					flat = setMember(flat, "content", d.Content)
				}
			}
			out = append(out, object(flat))
		}
		ms[i].val, _ = marshal(out)
	}
	return ms
}

// alterList applies a content fault to the items of a list and returns the
// new list and the items to pad (FaultOversize).
func alterList(f *Fault, all []*item) ([]*item, map[*item]int64) {
	var pad map[*item]int64
	picked := func(i int, it *item) bool {
		switch f.Item {
		case "":
			return i == 0
		case "*":
			return true
		}
		return strings.EqualFold(it.id, f.Item)
	}
	out := make([]*item, 0, len(all)+1)
	var extra []*item
	for i, it := range all {
		if !picked(i, it) {
			out = append(out, it)
			continue
		}
		switch f.Kind {
		case FaultFutureTime:
			it = edit(it, func(ms []member) []member {
				return setMember(ms, "lastModifiedDateTime", farFuture.Format(fmt7))
			})
			it.lastMod = farFuture
		case FaultDuplicateID:
			stale := edit(it, func(ms []member) []member {
				for _, m := range ms {
					if m.key == "title" {
						var t string
						_ = json.Unmarshal(m.val, &t)
						ms = setMember(ms, "title", t+" (stale copy)")
					}
				}
				return setMember(ms, "lastModifiedDateTime", it.lastMod.Add(-time.Hour).Format(fmt7))
			})
			stale.lastMod = it.lastMod.Add(-time.Hour)
			extra = append(extra, stale)
		case FaultMissingID:
			it = edit(it, func(ms []member) []member {
				kept := ms[:0]
				for _, m := range ms {
					if m.key != "id" {
						kept = append(kept, m)
					}
				}
				return kept
			})
		case FaultFlatPost:
			it = edit(it, flatPosts)
		case FaultOversize:
			if pad == nil {
				pad = map[*item]int64{}
			}
			n := f.Size
			if n <= 0 {
				n = DefaultOversize
			}
			pad[it] = n
		}
		out = append(out, it)
	}
	return append(out, extra...), pad
}

// contentKey is where FaultOversize pads an item: the first "content"
// member, which is a message's body or an issue's first post.
var contentKey = []byte(`"content":"`)

// writePadded writes raw with n bytes of HTML inserted at the start of its
// first content string, in chunks. Without a content string raw is written
// as it is.
func writePadded(w io.Writer, raw []byte, n int64) error {
	i := bytes.Index(raw, contentKey)
	if i < 0 {
		_, err := w.Write(raw)
		return err
	}
	i += len(contentKey)
	if _, err := w.Write(raw[:i]); err != nil {
		return err
	}
	const para = "<p>This paragraph pads an oversized item from the shdmc simulator.</p>"
	chunk := []byte(strings.Repeat(para, 64<<10/len(para)+1))
	for n > 0 {
		k := min(n, int64(len(chunk)))
		if _, err := w.Write(chunk[:k]); err != nil {
			return err
		}
		n -= k
	}
	_, err := w.Write(raw[i:])
	return err
}

// flush pushes what was written so far to the client.
func flush(w io.Writer) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}
