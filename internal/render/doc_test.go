package render

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/detect"
	"github.com/shdmc/shdmc/internal/model"
)

// flip is a health overview event of one service.
func flip(id, name string, from, to model.Status, rev int) model.Event {
	return model.Event{Tenant: "contoso", Source: model.SourceHealth, ItemID: id, Type: model.EventServiceStatus, Revision: rev,
		DetectedAt: at("2023-05-16T13:35:00Z"), Service: &model.ServiceHealth{ID: id, Service: name, Status: to},
		Changes: []model.Change{{Kind: model.ChangeStatus, From: string(from), To: string(to)}}}
}

// serviceGroup is a service status notice of three flips no incident
// explains, carried by the first.
func serviceGroup() *model.Event {
	a := flip("Exchange", "Exchange Online", model.StatusServiceOperational, model.StatusServiceDegradation, 3)
	b := flip("SharePoint", "SharePoint Online", model.StatusServiceOperational, model.StatusServiceInterruption, 5)
	c := flip("officeonline", "Office for the web", model.StatusServiceDegradation, model.StatusServiceOperational, 2)
	ev := a
	ev.Items = []model.Event{a, b, c}
	return &ev
}

func TestServiceStatusNotice(t *testing.T) {
	ev := serviceGroup()
	for _, tc := range []struct {
		name string
		o    Options
	}{
		{"service_status_group", Options{TenantName: "Contoso"}},
		{"service_status_group.ja", Options{TenantName: "Contoso", Language: "ja", Mode: ModeTranslated, Location: loadLoc(t, "Asia/Tokyo")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			subject, body := Notice(ev, tc.o)
			golden(t, tc.name+".golden", subject+"\n\n"+body)
		})
	}
	d := Compose(ev, Options{})
	if d.Subject != "[serviceInterruption] Service status | SharePoint Online, Exchange Online, Office for the web" {
		t.Errorf("subject %q: the worst status, every service, broken first", d.Subject)
	}
	want := []Field{
		{Key: "SharePoint", Label: "SharePoint Online", Value: "Service interruption ← Service operational"},
		{Key: "Exchange", Label: "Exchange Online", Value: "Service degradation ← Service operational"},
		{Key: "officeonline", Label: "Office for the web", Value: "Service operational ← Service degradation"},
	}
	if diff := cmp.Diff(want, d.Services); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	if d.Headline.Tone != ToneAttention || d.TranslationNote != "" || len(d.Changes) != 0 {
		t.Errorf("doc: tone %s, note %q, changes %q", d.Headline.Tone, d.TranslationNote, d.Changes)
	}
	// A Japanese notice without prose says nothing about translation.
	if d := Compose(ev, Options{Language: "ja"}); d.TranslationNote != "" || !strings.Contains(d.Subject, "サービスの中断") {
		t.Errorf("ja: subject %q, note %q", d.Subject, d.TranslationNote)
	}
	for _, f := range []func() ([]byte, error){
		func() ([]byte, error) { return AdaptiveCard(ev, Options{}) },
		func() ([]byte, error) { return SlackBlocks(ev, Options{}) },
	} {
		b, err := f()
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"SharePoint Online", "Office for the web", "Service interruption ← Service operational"} {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s lacks %q", b[:40], w)
			}
		}
	}
}

// TestIncidentListsItsServices: the flips folded into an incident's event
// are listed under "Service status" in every format.
func TestIncidentListsItsServices(t *testing.T) {
	first, _ := ex559755(t)
	ev, ok := detect.Issue("contoso", nil, 0, first, detect.Options{Now: at("2023-05-16T13:45:00Z")})
	if !ok {
		t.Fatal("no event")
	}
	ev.Items = []model.Event{flip("Exchange", "Exchange Online", model.StatusServiceOperational, model.StatusServiceDegradation, 2)}
	o := Options{Language: "ja", Mode: ModeTranslated}
	d := Compose(&ev, o)
	if d.ServicesTitle != "サービスの状態" || len(d.Services) != 1 || d.Services[0].Value != "サービスの低下 ← 正常" {
		t.Errorf("services %q %+v", d.ServicesTitle, d.Services)
	}
	html, text := HTMLOf(d)
	card, _ := CardOf(d)
	slack, _ := SlackOf(d)
	for name, out := range map[string]string{"html": html, "text": text, "markdown": Markdown(d), "card": string(card), "slack": string(slack)} {
		if !strings.Contains(out, "サービスの状態") || !strings.Contains(out, "サービスの低下 ← 正常") {
			t.Errorf("%s does not list the service", name)
		}
	}
}

func TestMessageDetails(t *testing.T) {
	v1, _ := message(t)
	m := *v1
	m.Details = []model.KeyValue{
		{Name: "NotifyInApp", Value: "True"},
		{Name: "Summary", Value: "Sharing links get a new default."},
		{Name: "ExternalLink", Value: "https://learn.microsoft.com/sharepoint/sharing"},
		{Name: "RoadmapIds", Value: "123456, 234567"},
		{Name: "Platforms", Value: "Web, Windows"},
		{Name: "FeatureStatusJson", Value: `{"status":"Rolling out","percent":50}`},
		{Name: "SomethingNew", Value: "kept and shown"},
	}
	ev, ok := detect.Message("contoso", nil, 0, &m, detect.Options{Now: at("2024-04-02T18:30:00Z")})
	if !ok {
		t.Fatal("no event")
	}
	d := Compose(&ev, Options{})
	for k, want := range map[string]string{"summary": "Sharing links get a new default.", "platforms": "Web, Windows",
		"roadmap": "123456, 234567", "featureStatus": "percent: 50, status: Rolling out"} {
		if got := d.Field(k); got != want {
			t.Errorf("field %s = %q, want %q", k, got, want)
		}
	}
	var links []string
	for _, l := range d.Links {
		links = append(links, l.Key+" "+l.Label+" "+l.URL)
	}
	wantLinks := []string{
		"item Open in the Microsoft 365 admin center https://admin.microsoft.com/Adminportal/Home#/MessageCenter/:/messages/MC123456",
		"external More information (Microsoft) https://learn.microsoft.com/sharepoint/sharing",
		"roadmap Microsoft 365 Roadmap 123456 https://www.microsoft.com/microsoft-365/roadmap?filters=&searchterms=123456",
		"roadmap Microsoft 365 Roadmap 234567 https://www.microsoft.com/microsoft-365/roadmap?filters=&searchterms=234567",
	}
	if diff := cmp.Diff(wantLinks, links); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
	_, body := Notice(&ev, Options{})
	for _, want := range []string{"SomethingNew:", "kept and shown", "Summary:", "searchterms=234567"} {
		if !strings.Contains(body, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if strings.Contains(body, "NotifyInApp") {
		t.Error("text shows NotifyInApp")
	}
	if !contains(Segments(&ev), "Sharing links get a new default.") {
		t.Error("the summary is not a segment: it would never be translated")
	}
	ja := Compose(&ev, Options{Language: "ja", Mode: ModeTranslated, Prose: func(s string) (string, bool) {
		if s == "Sharing links get a new default." {
			return "共有リンクの既定値が変わります。", true
		}
		return "", false
	}})
	if ja.Field("summary") != "共有リンクの既定値が変わります。" || ja.Links[2].Label != "Microsoft 365 ロードマップ 123456" {
		t.Errorf("ja summary %q, links %+v", ja.Field("summary"), ja.Links)
	}
	card, err := CardOf(d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(card), `"url":"https://www.microsoft.com/microsoft-365/roadmap?filters=&searchterms=123456"`) {
		t.Error("card has no roadmap button")
	}
	html, _ := HTMLOf(d)
	if !strings.Contains(html, `href="https://www.microsoft.com/microsoft-365/roadmap?filters=&amp;searchterms=234567"`) {
		t.Error("email has no roadmap link")
	}
}

// TestTranslationNoteIsTruthful: the note says machine translated only
// when something was; without translations it says so.
func TestTranslationNoteIsTruthful(t *testing.T) {
	issueDone, _, _ := events(t)
	missing := jaFixture(t, "Users receiving OME email messages from other users in the organization weren’t affected.")
	for _, tc := range []struct {
		name  string
		prose func(string) (string, bool)
		key   string
		want  string
	}{
		{"no translator", nil, "", "本文は翻訳されていません（Microsoft の英語のまま表示しています）。項目名・名称・日時は shdmc が表示しています。"},
		{"everything translated", jaFixture(t), "", "本文は機械翻訳です。項目名・名称・日時は shdmc が表示しています。"},
		{"one paragraph missing", missing, "", "本文は機械翻訳です。項目名・名称・日時は shdmc が表示しています。「（原文）」と付いた文は翻訳されていません。"},
		{"demo memory", jaFixture(t), "note.demoTranslation", Phrase("ja", "note.demoTranslation")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Compose(issueDone, Options{Language: "ja", Mode: ModeTranslated, Prose: tc.prose, NoteKey: tc.key})
			if d.TranslationNote != tc.want {
				t.Errorf("note %q, want %q", d.TranslationNote, tc.want)
			}
			if tc.prose == nil && strings.Contains(Text(d), "機械翻訳") {
				t.Error("an untranslated notice claims machine translation")
			}
		})
	}
}

func TestShortTemplate(t *testing.T) {
	issueDone, mcUpd, mcNew := events(t)
	d := Compose(issueDone, Options{Template: TemplateShort})
	var keys []string
	for _, f := range d.Fields {
		keys = append(keys, f.Key)
		if !f.Fact {
			t.Errorf("short notice keeps %s", f.Key)
		}
	}
	if diff := cmp.Diff([]string{"status", "service", "tenant", "userImpact", "finalStatus"}, keys); diff != "" {
		t.Errorf("facts (-want +got):\n%s", diff)
	}
	if len(d.Blocks) != 0 || d.Template != TemplateShort || len(d.Changes) == 0 || d.ItemLink().URL == "" {
		t.Errorf("short issue notice: %d blocks, template %q, %d changes, link %q", len(d.Blocks), d.Template, len(d.Changes), d.ItemLink().URL)
	}
	// Without a summary, a Message Center post keeps its first text, cut.
	for _, ev := range []*model.Event{mcUpd, mcNew} {
		d := Compose(ev, Options{Template: TemplateShort})
		if len(d.Blocks) != 1 || len([]rune(d.Blocks[0].Text)) > shortChars+60 || d.BodyHTML != "" {
			t.Errorf("%s short: %d blocks, body HTML %d bytes", ev.Type, len(d.Blocks), len(d.BodyHTML))
		}
	}
	if full := Compose(issueDone, Options{}); full.Template != TemplateFull || len(full.Blocks) != 1 || len(full.Fields) <= len(d.Fields) {
		t.Errorf("full notice: template %q, %d blocks", full.Template, len(full.Blocks))
	}
}

// TestLocalizedRichFormats: a Japanese email and card show the translated
// post, the Japanese headline, headings and link, never Microsoft's
// English HTML in its place; a bilingual email puts the original after
// the Japanese under "原文（英語）".
func TestLocalizedRichFormats(t *testing.T) {
	issueDone, _, _ := events(t)
	o := Options{Language: "ja", Mode: ModeTranslated, Prose: jaFixture(t), Location: loadLoc(t, "Asia/Tokyo")}
	_, html, _ := HTML(issueDone, o)
	card, err := AdaptiveCard(issueDone, o)
	if err != nil {
		t.Fatal(err)
	}
	slack, err := SlackBlocks(issueDone, o)
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"html": html, "card": string(card), "slack": string(slack)} {
		for _, want := range []string{"Exchange Online から送信されたユーザーの Office Message Encrypted (OME) メール", "変更内容",
			"Microsoft 365 管理センターで開く", "最終状況：最近の展開に問題があり", "サービスが復元されました"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
		for _, bad := range []string{"What changed", "Open in the Microsoft 365 admin center", "Final status: We determined", "Users’ Office Message Encrypted"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s shows the English %q", name, bad)
			}
		}
	}
	o.Mode = ModeBilingual
	_, html, _ = HTML(issueDone, o)
	i, j := strings.Index(html, "最終状況：最近の展開"), strings.Index(html, "原文（英語）")
	k := strings.Index(html, "Final status: We determined")
	if i < 0 || j < i || k < j {
		t.Errorf("bilingual email: Japanese at %d, the original's heading at %d, its text at %d", i, j, k)
	}
	if !strings.Contains(html, `<html lang="ja">`) {
		t.Error("email is not marked Japanese")
	}
}

// TestDocJSON: the document encodes as the JSON the webhook and file
// channels carry.
func TestDocJSON(t *testing.T) {
	issueDone, _, _ := events(t)
	b, err := json.Marshal(Compose(issueDone, Options{Language: "ja", Prose: jaFixture(t)}))
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Subject  string
		Headline Headline
		Fields   []Field
		Links    []Link
		Original *struct{ Subject string }
		Template string
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Headline.Badge != "サービスが復元されました" || back.Fields[0].Key != "status" || !back.Fields[0].Fact ||
		back.Links[0].Key != "item" || back.Original == nil || back.Template != TemplateFull {
		t.Errorf("document JSON: %s", b)
	}
}
