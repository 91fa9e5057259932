package store

import (
	"fmt"
	"testing"
)

func TestParsedDocs(t *testing.T) {
	p := newParsedDocs(2)
	doc := func(i int) []byte {
		return fmt.Appendf(nil, `{"id":"MC%d","title":"Post %d","body":"<p>long</p>"}`, i, i)
	}
	for i := range 3 {
		f := p.parse(fmt.Sprint("h", i), doc(i))
		if f == nil || f.ID != fmt.Sprint("MC", i) || str(f.Title) != fmt.Sprint("Post ", i) {
			t.Fatalf("parse %d = %+v", i, f)
		}
		if f.Body != nil {
			t.Errorf("parse %d keeps the body", i)
		}
	}
	// h0 and h1 filled the first generation, h2 began the second: all
	// three are known; a fourth and fifth push h0 out.
	for i := range 3 {
		if _, ok := p.get(fmt.Sprint("h", i)); !ok {
			t.Errorf("h%d forgotten", i)
		}
	}
	p.parse("h3", doc(3))
	p.parse("h4", doc(4))
	p.parse("h5", doc(5))
	if _, ok := p.get("h0"); ok {
		t.Error("h0 still known after four newer documents in generations of two")
	}
	// Not a JSON object: known as nil.
	if f := p.parse("bad", []byte(`[1]`)); f != nil {
		t.Errorf("an array parsed as %+v", f)
	}
	if f, ok := p.get("bad"); !ok || f != nil {
		t.Errorf("get(bad) = %+v, %v; want nil, true", f, ok)
	}
	// A nil cache parses without remembering.
	var none *parsedDocs
	if f := none.parse("h0", doc(0)); f == nil || f.ID != "MC0" {
		t.Errorf("nil cache: parse = %+v", f)
	}
	if _, ok := none.get("h0"); ok {
		t.Error("a nil cache knows a document")
	}
}
