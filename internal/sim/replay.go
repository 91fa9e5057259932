package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Replay is a set of recorded Graph response bodies served verbatim to any
// tenant. Its directory holds healthOverviews.json, issues.json and
// messages.json (page 1 of each; missing = empty collection) and further
// pages issues.2.json, issues.3.json, … A page's @odata.nextLink leads to
// the next file: only its scheme and host are rewritten to this server.
type Replay struct {
	colls map[string]*replayColl // lower-case collection name
}

type replayColl struct {
	pages [][]byte
	next  []string       // @odata.nextLink of each page as recorded
	byKey map[string]int // paging key of a nextLink → page index
	items map[string]*item
}

var replayFiles = map[string]string{"healthoverviews": "healthOverviews", "issues": "issues", "messages": "messages"}

// NewReplay reads a replay directory.
func NewReplay(dir string) (*Replay, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if err == nil {
			err = errors.New("not a directory")
		}
		return nil, fmt.Errorf("load replay %s: %w", dir, err)
	}
	rp := &Replay{colls: map[string]*replayColl{}}
	for key, base := range replayFiles {
		c := &replayColl{byKey: map[string]int{}, items: map[string]*item{}}
		for page := 1; page <= 10000; page++ {
			name := base + ".json"
			if page > 1 {
				name = fmt.Sprintf("%s.%d.json", base, page)
			}
			raw, err := os.ReadFile(filepath.Join(dir, name))
			if errors.Is(err, fs.ErrNotExist) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("load replay %s: %w", dir, err)
			}
			var body struct {
				Next  string            `json:"@odata.nextLink"`
				Value []json.RawMessage `json:"value"`
			}
			if err := json.Unmarshal(raw, &body); err != nil {
				return nil, fmt.Errorf("load replay %s: parse %s: %w", dir, name, err)
			}
			c.pages = append(c.pages, raw)
			c.next = append(c.next, body.Next)
			if body.Next != "" {
				if u, err := url.Parse(body.Next); err == nil {
					c.byKey[pagingKey(u.Query())] = page // index of the following page
				}
			}
			for _, v := range body.Value {
				var id struct {
					ID      string `json:"id"`
					Status  string `json:"status"`
					Service string `json:"service"`
				}
				if json.Unmarshal(v, &id) == nil && id.ID != "" {
					c.items[strings.ToLower(id.ID)] = &item{id: id.ID, status: id.Status, service: id.Service, raw: v}
				}
			}
		}
		rp.colls[key] = c
	}
	return rp, nil
}

func pagingKey(q url.Values) string { return q.Get("$skip") + "|" + q.Get("$skiptoken") }

func (rp *Replay) find(coll, id string) *item {
	c := rp.colls[strings.ToLower(coll)]
	if c == nil {
		return nil
	}
	return c.items[strings.ToLower(id)]
}

// LoadReplay serves the replay in dir from now on, replacing any scenario.
func (s *Server) LoadReplay(dir string) error {
	rp, err := NewReplay(dir)
	if err != nil {
		return err
	}
	s.UseReplay(rp)
	return nil
}

// UseReplay serves rp from now on, replacing any scenario.
func (s *Server) UseReplay(rp *Replay) {
	s.content.Store(&contentSource{replay: rp})
}

func (s *Server) serveReplay(w http.ResponseWriter, r *http.Request, rc *reqCtx, rp *Replay, coll string) {
	c := rp.colls[coll]
	ctx := s.baseFor(r) + "/v1.0/$metadata#admin/serviceAnnouncement/" + replayFiles[coll]
	if c == nil {
		s.graphError(w, rc, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", coll))
		return
	}
	page := 0
	if k := pagingKey(r.URL.Query()); k != "|" {
		p, ok := c.byKey[k]
		if !ok {
			page = -1
		} else {
			page = p
		}
	}
	if page < 0 || page >= len(c.pages) {
		writeCollection(w, ctx, nil, "")
		return
	}
	body := c.pages[page]
	if old := c.next[page]; old != "" {
		body = rewriteNext(body, old, s.baseFor(r))
	}
	w.Header().Set("Content-Type", odataJSON)
	_, _ = w.Write(body)
}

// rewriteNext replaces the scheme and host of the recorded nextLink by base,
// leaving the rest of the body byte for byte.
func rewriteNext(body []byte, old, base string) []byte {
	u, err := url.Parse(old)
	if err != nil {
		return body
	}
	nu := base + u.EscapedPath()
	if u.RawQuery != "" {
		nu += "?" + u.RawQuery
	}
	newEnc, _ := marshal(nu)
	cands := [][]byte{}
	if b, err := marshal(old); err == nil {
		cands = append(cands, b)
	}
	if b, err := json.Marshal(old); err == nil {
		cands = append(cands, b)
	}
	cands = append(cands, []byte(`"`+strings.ReplaceAll(old, "/", `\/`)+`"`))
	for _, c := range cands {
		if bytes.Contains(body, c) {
			return bytes.Replace(body, c, newEnc, 1)
		}
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	m["@odata.nextLink"] = newEnc
	out, err := marshal(m)
	if err != nil {
		return body
	}
	return out
}
