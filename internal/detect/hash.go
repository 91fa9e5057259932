package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// Hash returns the content hash of an *model.Issue, *model.Message or
// *model.ServiceHealth (see HashIssue); "" for anything else or nil.
func Hash(item any) string {
	switch v := item.(type) {
	case *model.Issue:
		if v != nil {
			return HashIssue(v)
		}
	case *model.Message:
		if v != nil {
			return HashMessage(v)
		}
	case *model.ServiceHealth:
		if v != nil {
			return HashService(v)
		}
	}
	return ""
}

// HashIssue returns the content hash of an issue: the hex SHA-256 (64
// digits) of a canonical JSON encoding that leaves out LastModified, so that
// Microsoft touching an item without changing it creates no revision.
//
// Canonical means: times in UTC, posts in creation order, details sorted by
// name, and every text field with CRLF/CR turned into LF and trailing spaces
// and tabs trimmed from each line. Text is NOT width-folded or otherwise
// Unicode-normalized: full-width and half-width characters are different
// text to a reader, and a hash that ignored them would hide a real edit. The
// line-ending and trailing-space rules only absorb the re-encodings seen from
// Graph and from CLI captures.
func HashIssue(i *model.Issue) string {
	c := *i
	c.LastModified = time.Time{}
	c.ID = canonText(c.ID)
	c.Title = canonText(c.Title)
	c.Service = canonText(c.Service)
	c.Feature = canonText(c.Feature)
	c.FeatureGroup = canonText(c.FeatureGroup)
	c.ImpactDescription = canonText(c.ImpactDescription)
	c.Start, c.End = c.Start.UTC(), c.End.UTC()
	c.Details = canonDetails(c.Details)
	c.Posts = make([]model.Post, len(i.Posts))
	for k, p := range i.Posts {
		p.Created = p.Created.UTC()
		p.Content = canonText(p.Content)
		c.Posts[k] = p
	}
	slices.SortStableFunc(c.Posts, func(a, b model.Post) int {
		if n := a.Created.Compare(b.Created); n != 0 {
			return n
		}
		return strings.Compare(a.Content, b.Content)
	})
	return sum("issue", c)
}

// HashMessage returns the content hash of a Message Center post, leaving out
// only LastModified; the rules are those of HashIssue. Services and tags are
// hashed sorted, since their order carries no meaning.
func HashMessage(m *model.Message) string {
	c := *m
	c.LastModified = time.Time{}
	c.ID = canonText(c.ID)
	c.Title = canonText(c.Title)
	c.Body = canonText(c.Body)
	c.Start, c.End, c.ActionRequiredBy = c.Start.UTC(), c.End.UTC(), c.ActionRequiredBy.UTC()
	c.Services = sortedText(m.Services)
	c.Tags = sortedText(m.Tags)
	c.Details = canonDetails(c.Details)
	c.Attachments = make([]model.Attachment, len(m.Attachments))
	for k, a := range m.Attachments {
		a.Name = canonText(a.Name)
		a.LastModified = a.LastModified.UTC()
		c.Attachments[k] = a
	}
	slices.SortStableFunc(c.Attachments, func(a, b model.Attachment) int { return strings.Compare(a.ID, b.ID) })
	return sum("message", c)
}

// HashService returns the content hash of a service's health overview.
func HashService(s *model.ServiceHealth) string {
	c := *s
	c.ID, c.Service = canonText(c.ID), canonText(c.Service)
	return sum("service", c)
}

// sum hashes a type tag and the JSON of v. JSON of these structs is
// deterministic (fixed field order, no maps).
func sum(kind string, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// The model types hold only strings, bools, numbers, times and
		// slices of them; Marshal cannot fail on them.
		panic("detect: marshal " + kind + ": " + err.Error())
	}
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// canonText turns CRLF and CR into LF and trims trailing spaces and tabs
// from every line, and from the end of the text.
func canonText(s string) string {
	if !strings.ContainsAny(s, "\r \t") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	for k, l := range lines {
		lines[k] = strings.TrimRight(l, " \t")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

func sortedText(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		out = append(out, canonText(s))
	}
	slices.Sort(out)
	return out
}

func canonDetails(in []model.KeyValue) []model.KeyValue {
	out := make([]model.KeyValue, len(in))
	for k, kv := range in {
		out[k] = model.KeyValue{Name: canonText(kv.Name), Value: canonText(kv.Value)}
	}
	slices.SortStableFunc(out, func(a, b model.KeyValue) int {
		if n := strings.Compare(a.Name, b.Name); n != 0 {
			return n
		}
		return strings.Compare(a.Value, b.Value)
	})
	return out
}
