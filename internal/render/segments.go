package render

import (
	"github.com/shdmc/shdmc/internal/detect"
	"github.com/shdmc/shdmc/internal/model"
)

// Segments returns the prose of an event that a translator must see for
// its notice, and nothing else: for an issue, the sentences and paragraphs
// between the labels of the posts the notice shows (the new or edited
// posts, else the latest one); for a Message Center post, the headings and
// paragraphs of the whole body (mc.new) or of its added and changed
// sections (and the headings of removed ones); plus the title and the user
// impact when they are new or changed. Labels, dates, known sentences,
// IDs, enum values and names never appear: the catalogs render them. List
// items are one segment each, without their marker. The order is the
// notice's, and each text appears once.
//
// Options.Prose is looked up with exactly these strings; a text missing
// from the translations is shown in the original, marked as such.
func Segments(ev *model.Event) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) string {
		if isProse(s) && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
		return s
	}
	if ev == nil || ev.Has(model.ChangeRemoved) {
		return nil
	}
	isNew := ev.Has(model.ChangeNew)
	switch {
	case ev.Issue != nil:
		is := ev.Issue
		if isNew || ev.Has(model.ChangeTitle) {
			add(oneLine(is.Title))
		}
		if isNew || ev.Has(model.ChangeImpact) {
			add(oneLine(is.ImpactDescription))
		}
		for _, sp := range shownPosts(ev, is) {
			for _, s := range ParsePost(detect.HTMLToText(sp.post.Content)) {
				if s.Sentence == "" && s.Time.IsZero() {
					proseParas(s.Text, add)
				}
			}
		}
	case ev.Message != nil:
		m := ev.Message
		if isNew || ev.Has(model.ChangeTitle) {
			add(oneLine(m.Title))
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
