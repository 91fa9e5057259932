package render

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/shdmc/shdmc/internal/model"
)

// The wire formats (HTML email, Adaptive Card, Slack blocks) share what is
// in this file: the link to the item and the cutting of long text at
// paragraph boundaries.

// continued is the line that ends a text cut to fit a channel's size
// limit, in the Doc's language.
func continued(d Doc) string { return Phrase(d.Language, "note.continued") }

// adminCenter is the Microsoft 365 admin center, where every item has a page.
const adminCenter = "https://admin.microsoft.com/Adminportal/Home#/"

// itemLink is where the notice's "open" link points: o.LinkURL when set,
// else the item's page in the Microsoft 365 admin center.
func (l *tr) itemLink(ev *model.Event, o Options) Link {
	if o.LinkURL != "" {
		return Link{Key: "item", Label: l.t("link.details"), URL: o.LinkURL}
	}
	id := url.PathEscape(ev.ItemID)
	u := adminCenter + "servicehealth/:/alerts/" + id
	switch {
	case ev.Source == model.SourceMC || ev.Message != nil:
		u = adminCenter + "MessageCenter/:/messages/" + id
	case ev.Source == model.SourceHealth || ev.Service != nil:
		u = adminCenter + "servicehealth"
	}
	return Link{Key: "item", Label: l.t("link.adminCenter"), URL: u}
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
