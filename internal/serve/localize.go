package serve

import (
	"context"
	"html"
	"strings"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

// This file is the dashboard's one use of render's localization: a post,
// a Message Center body or a piece of a post is localized by composing a
// notice of it (render.Compose in ModeTranslated) with the translation
// memory as the prose lookup, so that section labels ("Next update by"),
// dates in the reader's zone and Microsoft's fixed sentences come from the
// catalogs exactly as in notices, and only the prose between them from the
// memory.

// proseLookup returns the translation memory lookup of render.Options.Prose
// for lang, and a flag that becomes true once any lookup succeeded.
func (s *Server) proseLookup(ctx context.Context, lang string) (func(string) (string, bool), *bool) {
	found := new(bool)
	return func(text string) (string, bool) {
		tr, err := s.st.Translation(ctx, store.TranslationKey{Hash: translate.TextHash(text), Source: "en", Target: lang,
			Provider: s.o.TranslationProvider, GlossaryVersion: s.o.GlossaryVersion})
		if err != nil {
			return "", false
		}
		*found = true
		return tr, true
	}, found
}

// compose renders ev in the reader's language with the memory's prose.
func (s *Server) compose(ctx context.Context, v view, ev *model.Event) (render.Doc, bool) {
	prose, found := s.proseLookup(ctx, v.Lang)
	d := render.Compose(ev, render.Options{Language: v.Lang, Mode: render.ModeTranslated, Location: v.loc, Prose: prose})
	return d, *found
}

// localizePost is one post in the reader's language, as paragraphs; ok
// reports whether any of its prose was in the memory.
func (s *Server) localizePost(ctx context.Context, v view, p model.Post) ([]string, bool) {
	p.Created = p.Created.UTC()
	d, found := s.compose(ctx, v, &model.Event{Source: model.SourceSHD, Type: model.EventIssuePost, Issue: &model.Issue{Posts: []model.Post{p}}})
	if len(d.Blocks) == 0 {
		return nil, false
	}
	return paragraphs(d.Blocks[0].Text), found
}

// localizeText is a piece of a post's plain text (a section's text
// without its label) in the reader's language.
func (s *Server) localizeText(ctx context.Context, v view, text string) (string, bool) {
	if v.Lang == "en" || strings.TrimSpace(text) == "" {
		return text, false
	}
	var b strings.Builder
	for _, para := range paragraphs(text) {
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(para), "\n", "<br>"))
		b.WriteString("</p>")
	}
	paras, found := s.localizePost(ctx, v, model.Post{ContentType: "html", Content: b.String()})
	if !found {
		return text, false
	}
	return strings.Join(paras, "\n\n"), true
}

// transBlock is a titled part of a localized Message Center body.
type transBlock struct {
	Title string
	Paras []string
}

// localizeMessage is a whole Message Center post's body in the reader's
// language, section by section.
func (s *Server) localizeMessage(ctx context.Context, v view, m *model.Message) ([]transBlock, bool) {
	d, found := s.compose(ctx, v, &model.Event{Source: model.SourceMC, Type: model.EventMessageNew, Message: m,
		Changes: []model.Change{{Kind: model.ChangeNew}}})
	var out []transBlock
	for _, b := range d.Blocks {
		out = append(out, transBlock{Title: b.Title, Paras: paragraphs(b.Text)})
	}
	return out, found
}

// translateLine looks up a one-line text (a title, a user impact) in the
// memory; the original when there is none or the reader reads English.
func (s *Server) translateLine(ctx context.Context, lang, text string) (string, bool) {
	line := strings.Join(strings.Fields(text), " ")
	if lang == "en" || line == "" {
		return text, false
	}
	prose, _ := s.proseLookup(ctx, lang)
	if tr, ok := prose(line); ok {
		return tr, true
	}
	return text, false
}

// paragraphs splits text at blank lines.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = strings.Trim(p, "\n"); strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return out
}
