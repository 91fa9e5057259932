package translate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/store"
)

// Search by translation: the store's full-text index finds a document by
// the translations the memory holds of it, which only this package can
// look up (the memory is keyed by the texts render.Segments makes). The
// text is recorded per distinct document and language when a notice is
// translated (IndexDocument) and, for documents that have none yet or
// after the memory was seeded, by IndexSearch.

// SearchIndex is what recording translated text for search needs of the
// store.
type SearchIndex interface {
	Translation(ctx context.Context, k store.TranslationKey) (string, error)
	PutDocTranslations(ctx context.Context, list []store.DocTranslation) error
	SearchDocs(ctx context.Context, after string, limit int, untranslated string) ([]store.SearchDoc, error)
}

var _ SearchIndex = store.Store(nil)

// DocSegments returns the texts of a document (an item's JSON) that a
// translator is given for it, whatever notice shows them: an issue's
// title, user impact and the prose of each post; everything a notice of a
// new Message Center post shows. Nil for other sources or bad JSON.
func DocSegments(src model.Source, data []byte) []string {
	switch src {
	case model.SourceSHD:
		var is model.Issue
		if json.Unmarshal(data, &is) != nil {
			return nil
		}
		segs := render.Segments(&model.Event{Source: model.SourceSHD, Issue: &model.Issue{Title: is.Title, ImpactDescription: is.ImpactDescription}})
		for _, p := range is.Posts {
			segs = append(segs, render.Segments(&model.Event{Source: model.SourceSHD, Issue: &model.Issue{Posts: []model.Post{p}}})...)
		}
		return segs
	case model.SourceMC:
		var m model.Message
		if json.Unmarshal(data, &m) != nil {
			return nil
		}
		return render.Segments(&model.Event{Source: model.SourceMC, Type: model.EventMessageNew, Message: &m,
			Changes: []model.Change{{Kind: model.ChangeNew}}})
	}
	return nil
}

// SearchText returns the translations into lang that the memory holds
// under (provider, glossaryVersion) of a document's segments, one per
// line ("" when there is none): what search finds the document by in
// lang.
func SearchText(ctx context.Context, mem SearchIndex, provider, glossaryVersion, lang string, src model.Source, data []byte) (string, error) {
	var b strings.Builder
	seen := map[string]bool{}
	for _, seg := range DocSegments(src, data) {
		h := TextHash(seg)
		if seen[h] {
			continue
		}
		seen[h] = true
		tr, err := mem.Translation(ctx, store.TranslationKey{Hash: h, Source: "en", Target: lang, Provider: provider, GlossaryVersion: glossaryVersion})
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return "", err
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(tr)
	}
	return b.String(), nil
}

// IndexDocument records for search the translations the memory holds of
// one document, in each of langs.
func IndexDocument(ctx context.Context, st SearchIndex, provider, glossaryVersion string, langs []string, src model.Source, data []byte) error {
	var list []store.DocTranslation
	for _, lang := range langs {
		text, err := SearchText(ctx, st, provider, glossaryVersion, lang, src, data)
		if err != nil {
			return fmt.Errorf("index translations of a document: %w", err)
		}
		list = append(list, store.DocTranslation{Data: data, Lang: lang, Text: text})
	}
	if err := st.PutDocTranslations(ctx, list); err != nil {
		return fmt.Errorf("index translations of a document: %w", err)
	}
	return nil
}

// IndexSearch records for search the translations the memory holds of
// the documents of the store, in each of langs: of every document when
// all is set (after the memory was seeded from a file), else of those
// that have none recorded yet (after an upgrade). It returns how many
// documents it recorded. Documents no item shows any more are recorded
// empty.
func IndexSearch(ctx context.Context, st SearchIndex, provider, glossaryVersion string, langs []string, all bool) (int, error) {
	n := 0
	for _, lang := range langs {
		untranslated := lang
		if all {
			untranslated = ""
		}
		after := ""
		for {
			docs, err := st.SearchDocs(ctx, after, 200, untranslated)
			if err != nil {
				return n, fmt.Errorf("index translations for search: %w", err)
			}
			if len(docs) == 0 {
				break
			}
			list := make([]store.DocTranslation, 0, len(docs))
			for _, d := range docs {
				after = d.Key
				if len(d.Data) == 0 {
					continue
				}
				text, err := SearchText(ctx, st, provider, glossaryVersion, lang, d.Source, d.Data)
				if err != nil {
					return n, fmt.Errorf("index translations for search: %w", err)
				}
				list = append(list, store.DocTranslation{Data: d.Data, Lang: lang, Text: text})
			}
			if err := st.PutDocTranslations(ctx, list); err != nil {
				return n, fmt.Errorf("index translations for search: %w", err)
			}
			n += len(list)
		}
	}
	return n, nil
}
