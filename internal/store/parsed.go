package store

import "sync"

// parsedDocs remembers the read-index fields of the documents a store has
// parsed, by blob hash. Tenants share most documents (every tenant gets the
// same Message Center post, byte for byte), so at onboarding a document is
// parsed once, not once per tenant; the hash names the exact bytes, so an
// entry can never be stale. It holds up to about 2×max entries in two
// generations: when the newer is full it becomes the older and the oldest
// entries are dropped, an LRU's effect at a map's cost.
type parsedDocs struct {
	mu        sync.Mutex
	max       int
	cur, prev map[string]*docFields // nil: not a JSON object
}

// parsedDocsSize is the generation size of a store's parsedDocs: the
// fields of a document take a few hundred bytes.
const parsedDocsSize = 8192

func newParsedDocs(max int) *parsedDocs {
	return &parsedDocs{max: max, cur: map[string]*docFields{}}
}

// get returns the fields of the document hash and whether they are known.
// A nil *parsedDocs knows nothing.
func (p *parsedDocs) get(hash string) (*docFields, bool) {
	if p == nil {
		return nil, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if f, ok := p.cur[hash]; ok {
		return f, true
	}
	f, ok := p.prev[hash]
	if ok {
		p.putLocked(hash, f)
	}
	return f, ok
}

// parse returns the fields of data, stored as blob hash (nil when it is
// not a JSON object), parsing it unless it is known.
func (p *parsedDocs) parse(hash string, data []byte) *docFields {
	if f, ok := p.get(hash); ok {
		return f
	}
	var out *docFields
	if f, ok := parseDoc(data); ok {
		// The texts are only read when a document is first indexed, from
		// its JSON; they are not kept.
		f.Body, f.ImpactDescription, f.Posts = nil, nil, nil
		out = &f
	}
	if p != nil && hash != "" {
		p.mu.Lock()
		p.putLocked(hash, out)
		p.mu.Unlock()
	}
	return out
}

func (p *parsedDocs) putLocked(hash string, f *docFields) {
	if len(p.cur) >= p.max {
		p.prev, p.cur = p.cur, make(map[string]*docFields, p.max)
	}
	p.cur[hash] = f
}
