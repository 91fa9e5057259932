package serve

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/milestone"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/store"
)

// feedEntry is one item as the feeds show it.
type feedEntry struct {
	Title, Link, ID, HTML string
	Updated               time.Time
}

// absLink is the link of a dashboard path for a feed: absolute on the
// server, as the static site's options say in BuildSite.
func absLink(r *http.Request, v view, p string) string {
	if v.site != nil {
		return v.site.abs(p)
	}
	return baseURL(r) + v.Link(p)
}

// baseURL is the absolute root of the server as the client reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// feedEntries runs the request's filter (the dashboard's query
// parameters) and renders each item's summary in the reader's language.
func (s *Server) feedEntries(r *http.Request) ([]feedEntry, view, error) {
	v := s.viewOf(r)
	q, err := queryOf(r.URL.Query())
	if err != nil {
		return nil, v, err
	}
	s.resolveMine(r, &q)
	if q.Limit == 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 200)
	page, err := s.rd.SearchItems(r.Context(), q)
	if err != nil {
		return nil, v, err
	}
	hs, err := s.handlings(r.Context(), page.Items)
	if err != nil {
		return nil, v, err
	}
	var out []feedEntry
	for _, it := range page.Items {
		row := rowOf(v, it)
		if t, ok := s.translateLine(r.Context(), v.Lang, row.Title); ok {
			row.Title = t
		}
		e := feedEntry{Title: it.Key.ID + ": " + row.Title, Link: absLink(r, v, itemPath(it.Key)),
			ID:      "tag:shdmc," + it.Key.Tenant + "/" + string(it.Key.Source) + "/" + it.Key.ID + "/" + fmt.Sprint(it.Revision),
			Updated: it.LastModified}
		var b strings.Builder
		field := func(label, val string) {
			if val != "" {
				fmt.Fprintf(&b, "<p><b>%s</b>: %s</p>", xmlEscape(label), xmlEscape(val))
			}
		}
		field(v.T("label.tenant"), it.Key.Tenant)
		if h, ok := hs[it.Key]; ok {
			field(v.T("own.title"), v.Enum("handling", string(orOpen(h.Status))))
			field(v.T("own.owner"), h.Owner)
		}
		switch it.Key.Source {
		case model.SourceMC:
			var m model.Message
			if json.Unmarshal(it.Data, &m) == nil {
				field(v.T("label.category"), row.Category)
				field(v.T("label.severity"), row.Severity)
				field(v.T("label.services"), row.Services)
				field(v.T("label.actionRequiredBy"), row.ActionBy)
				b.WriteString(render.SanitizeHTML(m.Body))
			}
		case model.SourceSHD:
			var is model.Issue
			if json.Unmarshal(it.Data, &is) == nil {
				field(v.T("label.status"), row.Status)
				field(v.T("label.service"), row.Services)
				if p, ok := is.LatestPost(); ok {
					b.WriteString(render.SanitizeHTML(p.Content))
				}
			}
		}
		e.HTML = b.String()
		if e.Updated.IsZero() {
			e.Updated = it.SeenAt
		}
		out = append(out, e)
	}
	return out, v, nil
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

type rssDoc struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title       string    `xml:"title"`
	Link        string    `xml:"link"`
	Description string    `xml:"description"`
	Language    string    `xml:"language"`
	PubDate     string    `xml:"lastBuildDate"`
	Items       []rssItem `xml:"item"`
}

type rssItem struct {
	Title       string  `xml:"title"`
	Link        string  `xml:"link"`
	GUID        rssGUID `xml:"guid"`
	PubDate     string  `xml:"pubDate"`
	Description string  `xml:"description"`
}

type rssGUID struct {
	IsPermaLink bool   `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

func (s *Server) handleRSS(w http.ResponseWriter, r *http.Request) {
	entries, v, err := s.feedEntries(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	doc := rssDoc{Version: "2.0", Channel: rssChannel{
		Title: "shdmc · " + v.T("nav.messages") + " / " + v.T("nav.issues"), Link: absLink(r, v, "/"),
		Description: v.T("feed.description"), Language: v.Lang,
		PubDate: s.now().UTC().Format(time.RFC1123Z),
	}}
	for _, e := range entries {
		doc.Channel.Items = append(doc.Channel.Items, rssItem{Title: e.Title, Link: e.Link, GUID: rssGUID{Value: e.ID},
			PubDate: e.Updated.UTC().Format(time.RFC1123Z), Description: e.HTML})
	}
	writeXML(w, "application/rss+xml; charset=utf-8", doc)
}

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Link    atomLink    `xml:"link"`
	Content atomContent `xml:"content"`
}

type atomContent struct {
	Type  string `xml:"type,attr"`
	Value string `xml:",chardata"`
}

func (s *Server) handleAtom(w http.ResponseWriter, r *http.Request) {
	entries, v, err := s.feedEntries(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	updated := time.Time{}
	for _, e := range entries {
		if e.Updated.After(updated) {
			updated = e.Updated
		}
	}
	if updated.IsZero() {
		updated = s.now()
	}
	self := baseURL(r) + r.URL.RequestURI()
	if v.site != nil {
		self = v.site.self()
	}
	f := atomFeed{Lang: v.Lang, Title: "shdmc · " + v.T("nav.messages") + " / " + v.T("nav.issues"),
		ID: "tag:shdmc,feed:" + url.QueryEscape(r.URL.RawQuery), Updated: updated.UTC().Format(time.RFC3339),
		Links: []atomLink{{Href: self, Rel: "self"}, {Href: absLink(r, v, "/")}}, Author: atomAuthor{Name: "shdmc"}}
	for _, e := range entries {
		f.Entries = append(f.Entries, atomEntry{Title: e.Title, ID: e.ID, Updated: e.Updated.UTC().Format(time.RFC3339),
			Link: atomLink{Href: e.Link}, Content: atomContent{Type: "html", Value: e.HTML}})
	}
	writeXML(w, "application/atom+xml; charset=utf-8", f)
}

func writeXML(w http.ResponseWriter, ctype string, v any) {
	w.Header().Set("Content-Type", ctype)
	_, _ = w.Write([]byte(xml.Header))
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	_ = enc.Encode(v)
}

// handleICS serves an iCalendar feed of what a Message Center reader plans
// by: the action-required dates, and the milestones the posts announce
// ("Targeted Release: We will begin rolling out in early June 2023 and
// expect to complete by late June 2023"; internal/milestone), one all-day
// event per milestone and tenant over its range of days, each with the
// post's Microsoft 365 Roadmap links. The posts' publication and expiry
// dates are left out: they are bookkeeping, not dates to act on.
func (s *Server) handleICS(w http.ResponseWriter, r *http.Request) {
	v := s.viewOf(r)
	q, err := queryOf(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.resolveMine(r, &q)
	q.Source, q.HasDates = model.SourceMC, true
	items, err := s.allItems(r.Context(), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for i := range items {
		var m model.Message
		if json.Unmarshal(items[i].Data, &m) == nil {
			if t, ok := s.translateLine(r.Context(), v.Lang, m.Title); ok {
				m.Title = t
				if b, err := json.Marshal(m); err == nil {
					items[i].Data = b
				}
			}
		}
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	_, _ = w.Write([]byte(buildICS(s.now(), func(p string) string { return absLink(r, v, p) }, v, items)))
}

// icsEvent is one all-day event of the calendar: from Start to End
// (exclusive), both dates.
type icsEvent struct {
	kind, label string
	start, end  time.Time
	note        string // the phrase of a milestone ("early June 2023")
	// The milestone's phase, where it applies ("Targeted Release") and
	// its phrase with the date it had before, for a milestone (calendar.go).
	phase       milestone.Phase
	where, when string
}

// buildICS writes the calendar: CRLF line ends, lines folded at 75
// octets, one VEVENT per date with a stable UID.
func buildICS(now time.Time, link func(path string) string, v view, items []store.Item) string {
	var b strings.Builder
	line := func(s string) { b.WriteString(foldICS(s)) }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//shdmc//Message Center dates//EN")
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	line("X-WR-CALNAME:" + icsText("shdmc · "+v.T("nav.messages")))
	stamp := now.UTC().Format("20060102T150405Z")
	for _, it := range items {
		var m model.Message
		if json.Unmarshal(it.Data, &m) != nil {
			continue
		}
		href := link(itemPath(it.Key))
		desc := roadmapLines(&m) + htmltext.Excerpt(htmltext.Text(m.Body), 600)
		var evs []icsEvent
		if !m.ActionRequiredBy.IsZero() {
			day := v.day(m.ActionRequiredBy)
			evs = append(evs, icsEvent{kind: "action", label: v.T("cal.actionBy"), start: day, end: day.AddDate(0, 0, 1)})
		}
		for _, e := range calendarMilestones(v, &m) {
			e.label = v.T(phaseLabels[e.phase])
			evs = append(evs, e)
		}
		for _, e := range evs {
			summary := v.F("cal.summary", "label", e.label, "item", m.ID+" "+m.Title)
			if e.note != "" {
				summary = v.F("cal.summaryWhen", "label", e.label, "when", e.note, "item", m.ID+" "+m.Title)
			}
			about := desc
			if e.where != "" {
				summary += " · " + e.where
				about = v.F("cal.where", "where", e.where, "when", e.when) + "\n" + desc
			} else if e.when != "" {
				about = e.when + "\n" + desc
			}
			line("BEGIN:VEVENT")
			line("UID:" + icsText(it.Key.Tenant+"-"+it.Key.ID+"-"+e.kind) + "@shdmc")
			line("DTSTAMP:" + stamp)
			line("DTSTART;VALUE=DATE:" + e.start.Format("20060102"))
			line("DTEND;VALUE=DATE:" + e.end.Format("20060102"))
			line("SUMMARY:" + icsText(summary))
			line("DESCRIPTION:" + icsText(it.Key.Tenant+" · "+about))
			line("URL:" + href)
			line("TRANSP:TRANSPARENT")
			line("END:VEVENT")
		}
	}
	line("END:VCALENDAR")
	return b.String()
}

// icsText escapes a TEXT value (RFC 5545 §3.3.11).
func icsText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(s)
}

// foldICS ends a content line with CRLF, folding it so that no line is
// longer than 75 octets, never inside a UTF-8 sequence.
func foldICS(s string) string {
	var b strings.Builder
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(s)
	b.WriteString("\r\n")
	return b.String()
}
