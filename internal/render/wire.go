package render

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/shdmc/shdmc/internal/model"
)

// The wire formats (HTML email, Adaptive Card, Slack blocks) share what is
// in this file: the headline of a notice, its tone, the link to the item and
// the cutting of long text at paragraph boundaries.

// continued is the line that ends a text cut to fit a channel's size limit.
const continued = "… (continued in the admin center)"

// adminCenter is the Microsoft 365 admin center, where every item has a page.
const adminCenter = "https://admin.microsoft.com/Adminportal/Home#/"

// tone says how a notice should look: red while something is broken, amber
// for advisories and important announcements, green when it is over.
type tone int

const (
	toneNeutral tone = iota
	toneAccent
	toneGood
	toneWarning
	toneAttention
)

// headline is the top of a notice in the rich formats.
type headline struct {
	Badge   string // the status or the MC category/severity, as the subject shows it
	ID      string
	Service string
	Title   string
	Tone    tone
}

// headlineOf takes the badge from the composed subject ("[serviceRestored]
// EX559755 | …"), so that it reads as the text formats do (and is localized
// with them), and the rest from the event.
func headlineOf(ev *model.Event, d Doc) headline {
	h := headline{ID: ev.ItemID}
	if strings.HasPrefix(d.Subject, "[") {
		if i := strings.Index(d.Subject, "] "); i > 0 {
			h.Badge = d.Subject[1:i]
		}
	}
	switch {
	case ev.Issue != nil:
		is := ev.Issue
		h.ID, h.Service, h.Title = is.ID, is.Service, oneLine(is.Title)
		switch {
		case !is.Status.Active() || is.IsResolved:
			h.Tone = toneGood
		case is.Classification == model.ClassificationIncident:
			h.Tone = toneAttention
		default:
			h.Tone = toneWarning
		}
	case ev.Message != nil:
		m := ev.Message
		h.ID, h.Service, h.Title = m.ID, strings.Join(m.Services, ", "), oneLine(m.Title)
		switch {
		case m.Severity == model.SeverityCritical:
			h.Tone = toneAttention
		case m.Severity == model.SeverityHigh || !m.ActionRequiredBy.IsZero():
			h.Tone = toneWarning
		default:
			h.Tone = toneAccent
		}
	case ev.Service != nil:
		s := ev.Service
		h.ID, h.Service = s.ID, s.Service
		if h.Service == "" {
			h.Service = s.ID
		}
		if s.Status == model.StatusServiceOperational {
			h.Tone = toneGood
		} else {
			h.Tone = toneAttention
		}
	}
	if ev.Has(model.ChangeRemoved) {
		h.Tone = toneNeutral
	}
	if h.ID == "" {
		h.ID = ev.ItemID
	}
	if h.Badge == "" {
		h.Badge = string(ev.Type)
	}
	return h
}

// linkOf is where the notice's "open" link points: o.LinkURL when set,
// else the item's page in the Microsoft 365 admin center.
func linkOf(ev *model.Event, o Options) string {
	if o.LinkURL != "" {
		return o.LinkURL
	}
	id := url.PathEscape(ev.ItemID)
	switch {
	case ev.Source == model.SourceMC || ev.Message != nil:
		return adminCenter + "MessageCenter/:/messages/" + id
	case ev.Source == model.SourceHealth || ev.Service != nil:
		return adminCenter + "servicehealth"
	default:
		return adminCenter + "servicehealth/:/alerts/" + id
	}
}

// linkLabel names the link for the reader.
func linkLabel(o Options) string {
	if o.LinkURL != "" {
		return "Open details"
	}
	return "Open in the Microsoft 365 admin center"
}

// paragraphs splits plain text (as HTMLToText writes it) at blank lines.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.Trim(p, "\n"); strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return out
}

// cutText shortens s so that size(s) ≤ max, at the last line break, else
// the last space, else the last whole character that fits; it never splits a
// UTF-8 sequence. size measures a candidate (bytes after encoding, say) and
// must grow with the length of its argument. The result may be "".
func cutText(s string, max int, size func(string) int) string {
	if size(s) <= max {
		return s
	}
	// Binary search the longest prefix ending at a character boundary that fits.
	bounds := make([]int, 0, len(s)+1)
	for i := range s {
		bounds = append(bounds, i)
	}
	bounds = append(bounds, len(s))
	lo, hi := 0, len(bounds)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if size(s[:bounds[mid]]) <= max {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	lo = bounds[lo]
	cut := s[:lo]
	if i := strings.LastIndex(cut, "\n"); i > len(cut)/2 {
		cut = cut[:i]
	} else if i := strings.LastIndexAny(cut, " \t"); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " \t\n")
}

// runes counts characters, as Slack does.
func runes(s string) int { return utf8.RuneCountInString(s) }

// cutRunes cuts s to at most max characters at a boundary, ending it with
// "…" when something was left out.
func cutRunes(s string, max int) string {
	if runes(s) <= max {
		return s
	}
	return cutText(s, max-1, runes) + "…"
}
