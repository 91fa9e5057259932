package translate

import (
	"context"
	"encoding/json"
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
	Translations(ctx context.Context, k store.TranslationKey, hashes []string) (map[string]string, error)
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
	texts, err := searchTexts(ctx, mem, provider, glossaryVersion, lang, []searchDoc{{src, data}})
	if err != nil {
		return "", err
	}
	return texts[0], nil
}

// searchDoc is a document whose search text searchTexts makes.
type searchDoc struct {
	src  model.Source
	data []byte
}

// searchTexts returns SearchText of each document, with one look-up in
// the memory for all of them (the backfill of 100,000 documents made a
// query per text before).
func searchTexts(ctx context.Context, mem SearchIndex, provider, glossaryVersion, lang string, docs []searchDoc) ([]string, error) {
	segs := make([][]string, len(docs))
	var hashes []string
	seen := map[string]bool{}
	for i, d := range docs {
		for _, seg := range DocSegments(d.src, d.data) {
			h := TextHash(seg)
			segs[i] = append(segs[i], h)
			if !seen[h] {
				seen[h] = true
				hashes = append(hashes, h)
			}
		}
	}
	out := make([]string, len(docs))
	if len(hashes) == 0 {
		return out, nil
	}
	tr, err := mem.Translations(ctx, store.TranslationKey{Source: "en", Target: lang, Provider: provider, GlossaryVersion: glossaryVersion}, hashes)
	if err != nil {
		return nil, err
	}
	for i, hs := range segs {
		var b strings.Builder
		done := map[string]bool{}
		for _, h := range hs {
			t, ok := tr[h]
			if !ok || done[h] {
				continue
			}
			done[h] = true
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(t)
		}
		out[i] = b.String()
	}
	return out, nil
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
			var batch []searchDoc
			for _, d := range docs {
				after = d.Key
				if len(d.Data) > 0 {
					batch = append(batch, searchDoc{d.Source, d.Data})
				}
			}
			texts, err := searchTexts(ctx, st, provider, glossaryVersion, lang, batch)
			if err != nil {
				return n, fmt.Errorf("index translations for search: %w", err)
			}
			list := make([]store.DocTranslation, len(batch))
			for i, d := range batch {
				list[i] = store.DocTranslation{Data: d.data, Lang: lang, Text: texts[i]}
			}
			if err := st.PutDocTranslations(ctx, list); err != nil {
				return n, fmt.Errorf("index translations for search: %w", err)
			}
			n += len(list)
		}
	}
	return n, nil
}
