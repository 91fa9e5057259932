package render

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shdmc/shdmc/internal/detect"
	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/model"
)

// jaFixture is a Prose lookup over testdata/ja_fixture.json (Japanese
// written for these tests), without the texts in drop.
func jaFixture(t *testing.T, drop ...string) func(string) (string, bool) {
	t.Helper()
	m := map[string]string{}
	if err := json.Unmarshal([]byte(fixture(t, "ja_fixture.json")), &m); err != nil {
		t.Fatal(err)
	}
	for _, d := range drop {
		if _, ok := m[d]; !ok {
			t.Fatalf("fixture has no %q", d)
		}
		delete(m, d)
	}
	return func(s string) (string, bool) { v, ok := m[s]; return v, ok }
}

func loadLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

var placeholder = regexp.MustCompile(`\{[a-zA-Z]+\}`)

func TestCatalogsComplete(t *testing.T) {
	cs, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"en", "ja"}, Languages()); diff != "" {
		t.Errorf("languages (-want +got):\n%s", diff)
	}
	keys := func(m map[string]string) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	en := cs["en"]
	for lang, m := range cs {
		if diff := cmp.Diff(keys(en), keys(m)); diff != "" {
			t.Errorf("%s.json keys differ from en.json (-en +%s):\n%s", lang, lang, diff)
		}
		for k, v := range m {
			ph := func(s string) []string { p := placeholder.FindAllString(s, -1); sort.Strings(p); return p }
			if k == "format.datetime" { // each language picks its own fields
				if bad := placeholder.ReplaceAllStringFunc(v, func(p string) string {
					if strings.Contains("{yyyy}{MM}{M}{dd}{d}{HH}{H}{mm}{weekday}{zone}", p) {
						return ""
					}
					return p
				}); strings.Contains(bad, "{") || !strings.Contains(v, "{zone}") {
					t.Errorf("%s.json format.datetime %q has unknown fields or no zone", lang, v)
				}
				continue
			}
			if strings.HasPrefix(k, "format.") { // dates without a time: no time, no zone
				if bad := placeholder.ReplaceAllStringFunc(v, func(p string) string {
					if strings.Contains("{yyyy}{MM}{M}{dd}{d}{month}{weekday}", p) {
						return ""
					}
					return p
				}); strings.Contains(bad, "{") || !strings.Contains(v, "{yyyy}") {
					t.Errorf("%s.json %s %q has unknown fields or no year", lang, k, v)
				}
				continue
			}
			if diff := cmp.Diff(ph(en[k]), ph(v)); diff != "" {
				t.Errorf("%s.json %q placeholders differ from English (-en +%s):\n%s", lang, k, lang, diff)
			}
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s.json %q is empty", lang, k)
			}
		}
	}
	// Every enum value of model has an entry, so that only values Microsoft
	// adds later pass through verbatim.
	enums := map[string][]string{
		"status": {"serviceOperational", "investigating", "restoringService", "verifyingService", "serviceRestored",
			"postIncidentReviewPublished", "serviceDegradation", "serviceInterruption", "extendedRecovery", "falsePositive",
			"investigationSuspended", "resolved", "mitigatedExternal", "mitigated", "resolvedExternal", "confirmed", "reported", "unknownFutureValue"},
		"classification": {"advisory", "incident"},
		"origin":         {"microsoft", "thirdParty", "customer"},
		"category":       {"preventOrFixIssue", "planForChange", "stayInformed"},
		"severity":       {"normal", "high", "critical"},
		"postType":       {"regular", "quick", "strategic"},
	}
	for group, vals := range enums {
		for _, v := range vals {
			if model.ParseStatus(v) != model.Status(v) && group == "status" {
				t.Errorf("%s is not a canonical status", v)
			}
			if _, ok := en[group+"."+v]; !ok {
				t.Errorf("catalog lacks %s.%s", group, v)
			}
		}
	}
	wantJa := map[string]string{
		// The terms of shared/reference/japanese-terms.md.
		"status.serviceRestored": "サービスが復元されました", "status.investigating": "調査中",
		"status.restoringService": "サービスの復元中", "status.serviceDegradation": "サービスの低下",
		"status.serviceInterruption": "サービスの中断", "status.postIncidentReviewPublished": "インシデント後のレポートが公開されました",
		"status.extendedRecovery": "拡張復旧", "status.investigationSuspended": "調査の中断", "postType.quick": "クイック更新",
		"origin.thirdParty": "サードパーティ", "origin.customer": "お客様", "label.removed": "掲載終了",
		"value.major": "メジャー更新", "label.majorChange": "メジャー更新", "tag.Major update": "メジャー更新", "tag.Action required": "対応が必要",
		"classification.advisory": "アドバイザリ", "classification.incident": "インシデント",
		"category.planForChange": "変更の計画", "category.preventOrFixIssue": "問題の防止または修正", "category.stayInformed": "最新情報の確認",
		"service.Exchange Online": "Exchange Online",
	}
	for k, want := range wantJa {
		if got := cs["ja"][k]; got != want {
			t.Errorf("ja %s = %q, want %q", k, got, want)
		}
	}
}

func TestCatalogLookup(t *testing.T) {
	tests := []struct{ lang, key, want string }{
		{"ja", "label.status", "状態"},
		{"ja-JP", "label.status", "状態"},
		{"JA_jp", "label.status", "状態"},
		{"", "label.status", "Status"},
		{"fr", "label.status", "Status"}, // no catalog: English
		{"ja", "no.such.key", "no.such.key"},
	}
	for _, tt := range tests {
		if got := Phrase(tt.lang, tt.key); got != tt.want {
			t.Errorf("Phrase(%q, %q) = %q, want %q", tt.lang, tt.key, got, tt.want)
		}
	}
	l := newTr("ja", Options{})
	if got := l.name("status", "brandNewStatus"); got != "brandNewStatus" {
		t.Errorf("unknown enum value = %q, want it verbatim", got)
	}
	if got := l.name("service", "Contoso Widgets"); got != "Contoso Widgets" {
		t.Errorf("unknown service = %q, want it verbatim", got)
	}
	if got := l.name("service", "Microsoft 365 suite"); got != "Microsoft 365 スイート" {
		t.Errorf("service name = %q", got)
	}
}

func TestFormatTimeIn(t *testing.T) {
	tokyo, ny, london := loadLoc(t, "Asia/Tokyo"), loadLoc(t, "America/New_York"), loadLoc(t, "Europe/London")
	kolkata, dubai, kathmandu := loadLoc(t, "Asia/Kolkata"), loadLoc(t, "Asia/Dubai"), loadLoc(t, "Asia/Kathmandu")
	tests := []struct {
		name string
		t    string
		loc  *time.Location
		lang string
		want string
	}{
		{"seed start in Tokyo", "2023-05-14T20:00:00Z", tokyo, "ja", "2023年5月15日(月) 5:00 JST"},
		{"seed start in Tokyo, English", "2023-05-14T20:00:00Z", tokyo, "en", "2023-05-15 05:00 JST"},
		{"UTC default", "2023-05-14T20:00:00Z", nil, "ja", "2023年5月14日(日) 20:00 UTC"},
		{"ja-JP tag", "2023-05-25T19:00:00Z", tokyo, "ja-JP", "2023年5月26日(金) 4:00 JST"},
		{"New York before spring switch", "2024-03-10T06:59:00Z", ny, "ja", "2024年3月10日(日) 1:59 EST"},
		{"New York after spring switch", "2024-03-10T07:00:00Z", ny, "ja", "2024年3月10日(日) 3:00 EDT"},
		{"New York before autumn switch", "2024-11-03T05:59:00Z", ny, "en", "2024-11-03 01:59 EDT"},
		{"New York after autumn switch", "2024-11-03T06:00:00Z", ny, "en", "2024-11-03 01:00 EST"},
		{"New York after autumn switch, ja", "2024-11-03T06:00:00Z", ny, "ja", "2024年11月3日(日) 1:00 EST"},
		{"London winter", "2024-03-31T00:59:00Z", london, "ja", "2024年3月31日(日) 0:59 GMT"},
		{"London summer", "2024-03-31T01:00:00Z", london, "ja", "2024年3月31日(日) 2:00 BST"},
		{"London autumn", "2024-10-27T01:00:00Z", london, "en", "2024-10-27 01:00 GMT"},
		{"Kolkata has IST", "2023-05-14T20:00:00Z", kolkata, "ja", "2023年5月15日(月) 1:30 IST"},
		{"Dubai has only +04", "2023-05-14T20:00:00Z", dubai, "ja", "2023年5月15日(月) 0:00 +04:00"},
		{"Kathmandu has only +0545", "2023-05-14T20:00:00Z", kathmandu, "en", "2023-05-15 01:45 +05:45"},
		{"fixed zone without name", "2023-05-14T20:00:00Z", time.FixedZone("", 9*3600), "ja", "2023年5月15日(月) 5:00 +09:00"},
		{"midnight Saturday", "2023-05-26T15:00:00Z", tokyo, "ja", "2023年5月27日(土) 0:00 JST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatTimeIn(at(tt.t), tt.loc, tt.lang); got != tt.want {
				t.Errorf("FormatTimeIn(%s, %v, %q) = %q, want %q", tt.t, tt.loc, tt.lang, got, tt.want)
			}
		})
	}
	if got := FormatTimeIn(time.Time{}, tokyo, "ja"); got != "—" {
		t.Errorf("zero time = %q", got)
	}
}

func TestParseProseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339, "" = not a date
	}{
		{"Sunday, May 14, 2023, at 8:00 PM UTC", "2023-05-14T20:00:00Z"},
		{"May 14, 2023 at 8:00 PM UTC", "2023-05-14T20:00:00Z"},
		{"Monday, May 15, 2023, at 12:40 AM UTC", "2023-05-15T00:40:00Z"},
		{"Wednesday, May 17, 2023, at 12:00 PM UTC", "2023-05-17T12:00:00Z"},
		{"Thursday, September 7, 2023, at 6:30 p.m. UTC.", "2023-09-07T18:30:00Z"},
		{"Sept 7, 2023, 18:30 UTC", "2023-09-07T18:30:00Z"},
		{"Friday, June 2, 2023, at 4:00 PM (UTC)", "2023-06-02T16:00:00Z"},
		{"Sunday, May 14, 2023, at 13:00 PM UTC", ""},
		{"February 30, 2023, at 1:00 AM UTC", ""},
		{"Mayday 14, 2023, at 1:00 AM UTC", ""},
		{"Sunday, May 14, 2023, at 8:00 PM PDT", ""},
		{"We expect to finish by May 14, 2023, at 8:00 PM UTC", ""},
	}
	for _, tt := range tests {
		got, ok := parseProseDate(tt.in)
		if tt.want == "" {
			if ok {
				t.Errorf("parseProseDate(%q) = %v, want no date", tt.in, got)
			}
			continue
		}
		if !ok || !got.Equal(at(tt.want)) {
			t.Errorf("parseProseDate(%q) = %v, %v, want %s", tt.in, got, ok, tt.want)
		}
	}
}

func TestParsePost(t *testing.T) {
	got := ParsePost(htmltext.Text(fixture(t, "ex559755_final_post.txt")))
	type sec struct{ Label, Text, Time, Sentence string }
	var gs []sec
	for _, s := range got {
		ts := ""
		if !s.Time.IsZero() {
			ts = s.Time.Format(time.RFC3339)
		}
		gs = append(gs, sec{s.Label, s.Text, ts, s.Sentence})
	}
	want := []sec{
		{"title", "Users’ Office Message Encrypted (OME) email sent from Exchange Online may be unable to be accessed by some recipients", "", ""},
		{"userImpact", "Users’ OME email sent from Exchange Online may have been unable to be accessed by some recipients.", "", ""},
		{"moreInfo", "This issue affected users that were external to the organization of the user sending the message. The external user generated a One Time Passcode and was routed to the OME portal, but the site was continuously loading.\n\nUsers receiving OME email messages from other users in the organization weren’t affected.", "", ""},
		{"finalStatus", "We determined that a recent deployment contained issues that led to the CDN not delivering the scripts required for OME to work. We developed and deployed a fix and have confirmed via telemetry and customer report that impact is now remediated.", "", ""},
		{"scopeOfImpact", "Impact may have occurred for any users sending OME email messages through Exchange Online to some external users.", "", ""},
		{"startTime", "Sunday, May 14, 2023, at 8:00 PM UTC", "2023-05-14T20:00:00Z", ""},
		{"endTime", "Thursday, May 25, 2023, at 7:00 PM UTC", "2023-05-25T19:00:00Z", ""},
		{"rootCause", "A recent deployment contained issues that led to the CDN not delivering the scripts required for OME to work.", "", ""},
		{"nextSteps", "– To help prevent similar impact in the future, we’re further reviewing our deployment review and release protocols.", "", ""},
		{"", "This is the final update for the event.", "", "finalUpdate"},
	}
	if diff := cmp.Diff(want, gs); diff != "" {
		t.Errorf("ParsePost (-want +got):\n%s", diff)
	}

	tests := []struct {
		name string
		in   string
		want []sec
	}{
		{"free text before labels, label case, known sentence inside a paragraph",
			"Intro line.\n\ncurrent STATUS: Fixing.\n\nThis is the final update for the event. A post-incident report has been published. Thanks.",
			[]sec{{"", "Intro line.", "", ""}, {"currentStatus", "Fixing.", "", ""},
				{"", "This is the final update for the event.", "", "finalUpdate"},
				{"", "A post-incident report has been published.", "", "reportPublished"}, {"", "Thanks.", "", ""}}},
		{"date then more text; label not at line start",
			"Next update by: Wednesday, May 17, 2023, at 5:00 PM UTC\n\nWe said Impact: none.\nWorkaround: restart.\nImpact:",
			[]sec{{"nextUpdateBy", "Wednesday, May 17, 2023, at 5:00 PM UTC", "2023-05-17T17:00:00Z", ""},
				{"", "We said Impact: none.", "", ""}, {"workaround", "restart.", "", ""}, {"impact", "", "", ""}}},
		{"label whose text is not a date", "Start time: unknown yet", []sec{{"startTime", "unknown yet", "", ""}}},
		{"empty", "  \n\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gs []sec
			for _, s := range ParsePost(tt.in) {
				ts := ""
				if !s.Time.IsZero() {
					ts = s.Time.Format(time.RFC3339)
				}
				gs = append(gs, sec{s.Label, s.Text, ts, s.Sentence})
			}
			if diff := cmp.Diff(tt.want, gs); diff != "" {
				t.Errorf("ParsePost (-want +got):\n%s", diff)
			}
		})
	}
}

// events returns the golden-test events: EX559755's final update and the
// MC123456 update.
func events(t *testing.T) (issueDone, mcUpd, mcNew *model.Event) {
	t.Helper()
	first, final := ex559755(t)
	v1, v2 := message(t)
	a, ok1 := detect.Issue("contoso", first, 1, final, detect.Options{Now: at("2023-05-26T00:15:00Z")})
	b, ok2 := detect.Message("contoso", v1, 1, v2, detect.Options{Now: at("2024-05-10T21:10:00Z")})
	c, ok3 := detect.Message("contoso", nil, 0, v1, detect.Options{Now: at("2024-04-02T18:30:00Z")})
	if !ok1 || !ok2 || !ok3 {
		t.Fatal("detect raised no event")
	}
	return &a, &b, &c
}

func TestSegments(t *testing.T) {
	issueDone, mcUpd, mcNew := events(t)
	tests := []struct {
		name string
		ev   *model.Event
		want []string
	}{
		{"issue final update: title, impact (now and before), the new post's prose", issueDone, []string{
			"Users’ Office Message Encrypted (OME) email sent from Exchange Online may be unable to be accessed by some recipients",
			"Users’ OME email sent from Exchange Online may have been unable to be accessed by some recipients.",
			"Users’ OME email sent from Exchange Online may be unable to be accessed by some recipients.",
			"This issue affected users that were external to the organization of the user sending the message. The external user generated a One Time Passcode and was routed to the OME portal, but the site was continuously loading.",
			"Users receiving OME email messages from other users in the organization weren’t affected.",
			"We determined that a recent deployment contained issues that led to the CDN not delivering the scripts required for OME to work. We developed and deployed a fix and have confirmed via telemetry and customer report that impact is now remediated.",
			"Impact may have occurred for any users sending OME email messages through Exchange Online to some external users.",
			"A recent deployment contained issues that led to the CDN not delivering the scripts required for OME to work.",
			"To help prevent similar impact in the future, we’re further reviewing our deployment review and release protocols.",
		}},
		{"mc update: title (now and before) and the changed sections only", mcUpd, []string{
			"(Updated) New sharing experience in SharePoint Online and OneDrive for Business",
			"New sharing experience in SharePoint Online and OneDrive for Business",
			"When this will happen",
			// Date-only phrases are masked like dates with a time.
			"Targeted Release: We will begin rolling out in `{date:0}` (previously mid-May) and expect to complete by `{date:1}` (previously late May).",
			"General Availability: We will begin rolling out in `{date:0}` (previously early June) and expect to complete by `{date:1}` (previously late June).",
			"Compliance considerations",
			"No compliance considerations identified, review as appropriate for your organization.",
		}},
		{"removed", &model.Event{Changes: []model.Change{{Kind: model.ChangeRemoved}}, Issue: &model.Issue{Title: "x"}}, nil},
		{"service status", &model.Event{Service: &model.ServiceHealth{Service: "Exchange Online"}, Changes: []model.Change{{Kind: model.ChangeStatus}}}, nil},
		{"digest: each line's title and changed sections, once", &model.Event{Type: model.EventDigest, Items: []model.Event{*mcUpd, *issueDone, *mcUpd,
			{Service: &model.ServiceHealth{Service: "Exchange Online"}}}}, []string{
			"(Updated) New sharing experience in SharePoint Online and OneDrive for Business",
			"When this will happen",
			"Compliance considerations",
			"Users’ Office Message Encrypted (OME) email sent from Exchange Online may be unable to be accessed by some recipients",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Segments(tt.ev)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Segments (-want +got):\n%s", diff)
			}
		})
	}
	// A new message sends its whole body, list items one by one, and never
	// a bare number, a URL or a repeated text.
	all := Segments(mcNew)
	for _, want := range []string{"New sharing experience in SharePoint Online and OneDrive for Business", "How this will affect your organization", "Copy link & send in one step", "including external guests"} {
		if !contains(all, want) {
			t.Errorf("mc.new segments lack %q: %q", want, all)
		}
	}
	seen := map[string]bool{}
	for _, s := range append(all, Segments(issueDone)...) {
		if seen[s] && contains(Segments(issueDone), s) && contains(all, s) {
			continue
		}
		if strings.HasPrefix(s, "- ") || strings.HasPrefix(s, "– ") || !isProse(s) || regexp.MustCompile(`(?i)^(title|start time|end time|user impact):`).MatchString(s) ||
			strings.Contains(s, "UTC") || strings.Contains(s, "final update") {
			t.Errorf("segment %q is not plain prose", s)
		}
		seen[s] = true
	}
	// Every segment is a text the localized notice looks up, and nothing
	// else is looked up for new content.
	var asked []string
	Compose(issueDone, Options{Language: "ja", Mode: ModeTranslated, Prose: func(s string) (string, bool) { asked = append(asked, s); return "", false }})
	for _, s := range Segments(issueDone) {
		if !contains(asked, s) {
			t.Errorf("segment %q is never looked up by Compose", s)
		}
	}
	// The one exception: the old wording in "User impact reworded (was:
	// …)", which was a segment of an earlier event.
	old := "Users’ OME email sent from Exchange Online may be unable to be accessed by some recipients."
	for _, s := range asked {
		if !contains(Segments(issueDone), s) && s != old {
			t.Errorf("Compose looked up %q, which is not a segment", s)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestGoldenJapanese(t *testing.T) {
	tokyo := loadLoc(t, "Asia/Tokyo")
	issueDone, mcUpd, _ := events(t)
	ja := jaFixture(t)
	missing := jaFixture(t, "To help prevent similar impact in the future, we’re further reviewing our deployment review and release protocols.",
		"Users’ OME email sent from Exchange Online may have been unable to be accessed by some recipients.")
	tests := []struct {
		name string
		ev   *model.Event
		o    Options
	}{
		{"issue_resolved_bilingual", issueDone, Options{Location: tokyo, Language: "ja", Prose: ja}},
		{"issue_resolved_translated", issueDone, Options{Location: tokyo, Language: "ja", Mode: ModeTranslated, Prose: ja}},
		{"issue_resolved_side", issueDone, Options{Location: tokyo, Language: "ja", Mode: ModeSideBySide, Prose: ja}},
		{"issue_resolved_md_bilingual", issueDone, Options{Location: tokyo, Language: "ja", Format: FormatMarkdown, Prose: ja}},
		{"issue_resolved_untranslated", issueDone, Options{Location: tokyo, Language: "ja", Mode: ModeTranslated, Prose: missing}},
		{"mc_updated_translated", mcUpd, Options{Location: tokyo, Language: "ja", Mode: ModeTranslated, Prose: ja}},
		{"mc_updated_md_side", mcUpd, Options{Location: tokyo, Language: "ja-JP", Mode: ModeSideBySide, Format: FormatMarkdown, Prose: ja}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subject, body := Notice(tt.ev, tt.o)
			got := subject + "\n\n" + body
			path := filepath.Join("testdata", tt.name+".ja.golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run with -update): %v", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s differs (-want +got):\n%s", path, diff)
			}
		})
	}
}

func TestJapaneseNoticeFacts(t *testing.T) {
	tokyo := loadLoc(t, "Asia/Tokyo")
	issueDone, _, _ := events(t)
	subject, body := Notice(issueDone, Options{Location: tokyo, Language: "ja", Prose: jaFixture(t)})
	for _, want := range []string{
		"開始時刻：2023年5月15日(月) 5:00 JST", // the seed's "14年2023月8日日曜日午後00時UTC", done right
		"終了時刻：2023年5月26日(金) 4:00 JST",
		"状態：", "サービスが復元されました ← 調査中",
		"分類：", "アドバイザリ",
		"このイベントに関する更新はこれが最後です。",
		"Start time: Sunday, May 14, 2023, at 8:00 PM UTC", // the English original is kept in bilingual mode
		"Exchange Online",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if !strings.HasPrefix(subject, "[サービスが復元されました] EX559755 | Exchange Online | Exchange Online から送信された") {
		t.Errorf("subject = %q", subject)
	}
	if strings.Contains(body, "（原文）") {
		t.Errorf("fully translated notice has an untranslated mark:\n%s", body)
	}
	ja := body[:strings.Index(body, "────")] // Japanese first, then the original
	for _, bad := range []string{"UTC", "Start time", "serviceRestored", "advisory", "2023-05"} {
		if strings.Contains(ja, bad) {
			t.Errorf("Japanese part contains %q:\n%s", bad, ja)
		}
	}

	// Without translations every prose text is marked, never silently
	// shown in English; labels, dates and sentences are still Japanese.
	_, body = Notice(issueDone, Options{Location: tokyo, Language: "ja", Mode: ModeTranslated})
	if n := strings.Count(body, "（原文）"); n != 11 {
		t.Errorf("untranslated notice has %d marks, want 11 (impact, its old wording, the final status fact, 8 post texts):\n%s", n, body)
	}
	if !strings.Contains(body, "開始時刻：2023年5月15日(月) 5:00 JST") || strings.Contains(body, "Status") {
		t.Errorf("untranslated notice lost its Japanese structure:\n%s", body)
	}
}

func TestLocalizedModes(t *testing.T) {
	issueDone, _, _ := events(t)
	base := Options{Language: "ja", Prose: jaFixture(t)}
	d := Compose(issueDone, base)
	if d.Original == nil || d.Mode != ModeBilingual || d.Language != "ja" || d.Original.Language != "" {
		t.Errorf("bilingual Doc: mode %q, language %q, original %v", d.Mode, d.Language, d.Original != nil)
	}
	tr := base
	tr.Mode = ModeTranslated
	if d := Compose(issueDone, tr); d.Original != nil {
		t.Error("translated Doc carries an original")
	}
	en := Compose(issueDone, Options{Language: "en", Mode: ModeSideBySide, Prose: jaFixture(t)})
	if en.Original != nil || en.Language != "" || en.Mode != "" {
		t.Error("English Doc is localized")
	}
	if _, want := Notice(issueDone, Options{}); true {
		if _, got := Notice(issueDone, Options{Language: "EN-us"}); got != want {
			t.Error("en-US differs from the default English notice")
		}
	}
	// An unknown language keeps the English words but still uses Prose.
	fr := Compose(issueDone, Options{Language: "fr", Mode: ModeTranslated, Prose: func(s string) (string, bool) { return "FR:" + s, true }})
	if fr.Fields[0].Label != "Status" || !strings.Contains(fr.Fields[3].Value, "FR:") {
		t.Errorf("fr Doc: %+v", fr.Fields)
	}
	// Side by side in text: each English paragraph is followed by its
	// translation.
	sb := base
	sb.Mode = ModeSideBySide
	_, body := Notice(issueDone, sb)
	i := strings.Index(body, "Root cause: A recent deployment")
	j := strings.Index(body, "根本原因：最近の展開に問題があり")
	k := strings.Index(body, "Next steps:")
	if i < 0 || j < i || k < j {
		t.Errorf("side-by-side order wrong (%d %d %d):\n%s", i, j, k, body)
	}
}

func TestLocalizedTruncation(t *testing.T) {
	issueDone, _, _ := events(t)
	o := Options{Language: "ja", Mode: ModeSideBySide, MaxPostChars: 120, Prose: jaFixture(t)}
	_, body := Notice(issueDone, o)
	if !strings.Contains(body, "文字は省略］") || !strings.Contains(body, "more characters not shown]") {
		t.Errorf("cut texts lack their notes:\n%s", body)
	}
	// The cut post no longer pairs paragraph by paragraph: it is shown
	// whole, English first.
	i, j := strings.Index(body, "Title: Users’"), strings.Index(body, "タイトル：")
	if i < 0 || j < i {
		t.Errorf("cut post not paired whole:\n%s", body)
	}
}

// TestFill checks fill against strings.Replacer, whose rules it keeps: left
// to right, values never rescanned, the first of two equal names wins,
// unknown and unclosed placeholders left as they are.
func TestFill(t *testing.T) {
	kv := []string{"yyyy", "2026", "M", "{d}", "d", "4", "weekday", "金", "M", "twice", "", "empty"}
	pairs := make([]string, 0, len(kv))
	for i := 0; i+1 < len(kv); i += 2 {
		pairs = append(pairs, "{"+kv[i]+"}", kv[i+1])
	}
	want := strings.NewReplacer(pairs...)
	for _, tmpl := range []string{
		"", "plain", "{yyyy}年{M}月{d}日({weekday})", "{{yyyy}}", "{unknown} {d", "}{d}{", "{}", "{M}{M}",
		"{yyyy", "x{d}y{d}z", "{weekday}{", "{{{d}", "{d}}",
	} {
		if got, w := fill(tmpl, kv...), want.Replace(tmpl); got != w {
			t.Errorf("fill(%q) = %q, strings.Replacer %q", tmpl, got, w)
		}
	}
	if got := fill("{a}", "a"); got != "{a}" {
		t.Errorf("fill with a name and no value = %q, want the template", got)
	}
}

// BenchmarkFormatTime is the time of one row's date on a dashboard list.
func BenchmarkFormatTime(b *testing.B) {
	tokyo := time.FixedZone("JST", 9*3600)
	t := time.Date(2026, 12, 4, 19, 5, 0, 0, time.UTC)
	for b.Loop() {
		_ = FormatTimeIn(t, tokyo, "ja")
	}
}
