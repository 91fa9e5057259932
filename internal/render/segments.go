package render

import (
	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/model"
)

// Segments returns the prose of an event that a translator must see for
// its notice, and nothing else: for an issue, the sentences and paragraphs
// between the labels of the posts the notice shows (the new or edited
// posts, else the latest one); for a Message Center post, the headings and
// paragraphs of the whole body (mc.new) or of its added and changed
// sections (and the headings of removed ones) and Microsoft's summary
// (details); plus the title, the user impact and the current status of
// the latest post (a key fact). Labels, dates (also those inside a
// sentence, with a time or date-only like "by June 30, 2024" or "early
// June 2024", masked as "`{date:0}`"), known sentences, IDs, enum values
// and names never appear: the catalogs render them. List
// items are one segment each, without their marker. The order is the
// notice's, and each text appears once.
//
// Options.Prose is looked up with exactly these strings; a text missing
// from the translations is shown in the original, marked as such.
func Segments(ev *model.Event) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) string {
		// A date inside a sentence goes to the translator as a protected
		// token; render writes the date itself (lookup undoes the mask).
		// A unit of nothing but dates is not sent at all.
		s, dates := maskDates(s)
		if isProse(s) && !onlyDates(s, dates) && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
		return s
	}
	if ev == nil || ev.Has(model.ChangeRemoved) {
		return nil
	}
	if ev.Type == model.EventDigest {
		// A digest shows a line per event: its item's title, and the
		// sections of a post that changed.
		for i := range ev.Items {
			switch it := &ev.Items[i]; {
			case it.Message != nil:
				add(oneLine(it.Message.Title))
				for _, c := range it.Changes {
					if c.Kind == model.ChangeBodySection {
						add(c.Field)
					}
				}
			case it.Issue != nil:
				add(oneLine(it.Issue.Title))
			}
		}
		return out
	}
	isNew := ev.Has(model.ChangeNew)
	switch {
	case ev.Issue != nil:
		is := ev.Issue
		// Compose shows the title and impact in every notice; the memory
		// answers them after the first time, so only new wording is sent.
		add(oneLine(is.Title))
		add(oneLine(is.ImpactDescription))
		for _, c := range ev.Changes {
			if c.Kind == model.ChangeTitle || c.Kind == model.ChangeImpact {
				add(oneLine(c.From)) // quoted by a "wording changed" line
			}
		}
		for _, sp := range shownPosts(ev, is) {
			for _, s := range ParsePost(htmltext.Text(sp.post.Content)) {
				if s.Sentence == "" && s.Time.IsZero() {
					proseParas(s.Text, add)
				}
			}
		}
		// The key facts quote the latest post, which the notice may not
		// show (an edit of an older one).
		if p, ok := is.LatestPost(); ok {
			f := latestFacts(p)
			proseParas(f.status, add)
			if f.nextAt.IsZero() {
				add(f.next)
			}
		}
	case ev.Message != nil:
		m := ev.Message
		add(oneLine(m.Title)) // in every subject
		add(messageDetails(m).summary)
		for _, c := range ev.Changes {
			if c.Kind == model.ChangeTitle {
				add(oneLine(c.From))
			}
		}
		changed := changedSections(ev)
		for _, s := range bodySections(m) {
			if isNew || changed[s.Heading] {
				add(s.Heading)
				proseParas(s.Text, add)
				delete(changed, s.Heading)
			}
		}
		for _, c := range ev.Changes {
			if c.Kind == model.ChangeBodySection {
				add(c.Field)
			}
		}
	}
	return out
}
