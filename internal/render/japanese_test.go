package render

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/milestone"
	"github.com/shdmc/shdmc/internal/model"
)

// inOrder reports whether each of parts is in s after the one before it.
func inOrder(s string, parts ...string) bool {
	at := 0
	for _, p := range parts {
		i := strings.Index(s[at:], p)
		if i < 0 {
			return false
		}
		at += i + len(p)
	}
	return true
}

// TestBilingualJapaneseFirst: a bilingual notice is the Japanese notice
// first (with its links and note), then the English original under the
// heading 原文, then the footer, in text, Markdown and HTML; side by side
// prints the Japanese headline once.
func TestBilingualJapaneseFirst(t *testing.T) {
	issueDone, _, _ := events(t)
	o := Options{Language: "ja", Location: loadLoc(t, "Asia/Tokyo"), Prose: jaFixture(t)}
	d := Compose(issueDone, o)
	html, alt := HTMLOf(d)
	for name, out := range map[string]string{"text": Text(d), "markdown": Markdown(d), "html": html, "mail.txt": alt} {
		if !inOrder(out, "最終状況", "最終状況：最近の展開", "Microsoft 365 管理センターで開く", "原文",
			"serviceRestored", "Users’ Office Message Encrypted (OME) email", "We determined that a recent deployment", "テナント contoso · 検出") {
			t.Errorf("%s: not Japanese, then 原文 and the English original, then the footer:\n%s", name, out)
		}
		if n := strings.Count(out, "テナント contoso · 検出"); n != 1 {
			t.Errorf("%s: the footer %d times", name, n)
		}
		if strings.Contains(out, "Open in the Microsoft 365 admin center") {
			t.Errorf("%s: the original repeats the links", name)
		}
	}
	if !strings.HasPrefix(Text(d), "状態：") {
		t.Errorf("bilingual text does not start with the Japanese facts:\n%s", Text(d))
	}
	if md := Markdown(d); !strings.HasPrefix(md, "**\\[サービスが復元されました\\] EX559755") || !strings.Contains(md, "\n---\n\n**原文") {
		t.Errorf("bilingual Markdown does not start with the Japanese subject or lacks the 原文 heading:\n%s", md)
	}

	// Side by side: each English unit, then its translation; the Japanese
	// subject is the notice's subject and is not repeated in the body.
	o.Mode = ModeSideBySide
	subject, body := Notice(issueDone, o)
	if n := strings.Count(subject+"\n\n"+body, subject); n != 1 {
		t.Errorf("side by side prints the Japanese headline %d times:\n%s\n\n%s", n, subject, body)
	}
	if !strings.HasPrefix(body, "[serviceRestored] EX559755 | Exchange Online | Users’") {
		t.Errorf("side by side does not start with the English headline:\n%s", body)
	}
}

// TestActionRequiredDates: Microsoft's actionRequiredByDateTime is midnight
// UTC of a day; every format shows that day as a date, in every time zone,
// never as a time ("9:00 JST", or the evening before in America).
func TestActionRequiredDates(t *testing.T) {
	due := time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)
	m := &model.Message{ID: "MC800001", Title: "Retirement of the classic widget", Category: model.CategoryPlanForChange,
		Severity: model.SeverityHigh, Services: []string{"Exchange Online"}, Start: at("2024-05-02T17:00:00Z"),
		LastModified: at("2024-05-02T17:00:00Z"), ActionRequiredBy: due, BodyType: "text", Body: "The classic widget retires."}
	moved := &model.Event{Tenant: "contoso", Source: model.SourceMC, ItemID: m.ID, Type: model.EventMessageActionDate, DetectedAt: at("2024-05-03T01:00:00Z"),
		Message: m, Changes: []model.Change{{Kind: model.ChangeActionDate, From: "2024-06-15T00:00:00Z", To: due.Format(time.RFC3339)}}}
	reminder := &model.Event{Tenant: "contoso", Source: model.SourceMC, ItemID: m.ID, Type: model.EventMessageReminder, DetectedAt: at("2024-06-23T01:00:00Z"),
		Message: m, Changes: []model.Change{{Kind: model.ChangeReminder, Field: "7", To: due.Format(time.RFC3339)}}}
	digest := &model.Event{Tenant: "contoso", Type: model.EventDigest, DetectedAt: at("2024-06-23T01:00:00Z"),
		Items: []model.Event{*moved}}
	tests := []struct {
		lang, zone string
		want       []string
		bad        []string
	}{
		{"ja", "Asia/Tokyo", []string{"2024年6月30日(日)", "2024年6月15日(土)"}, []string{"9:00", "JST", "2024-06-30", "7月1日"}},
		{"ja", "America/Los_Angeles", []string{"2024年6月30日(日)"}, []string{"6月29日", "17:00", "PDT"}},
		{"en", "Asia/Tokyo", []string{"2024-06-30", "2024-06-15"}, []string{"09:00", "JST", "2024-07-01"}},
		{"en", "America/Los_Angeles", []string{"2024-06-30"}, []string{"2024-06-29", "17:00", "PDT"}},
	}
	for _, tt := range tests {
		o := Options{Language: tt.lang, Mode: ModeTranslated, Location: loadLoc(t, tt.zone)}
		for _, ev := range []*model.Event{moved, reminder, digest} {
			d := Compose(ev, o)
			for name, out := range formats(t, d) {
				facts := strings.Join(append(append([]string{}, d.Changes...), fieldValues(d)...), "\n")
				if ev == digest {
					facts = strings.Join(d.Changes, "\n") + strings.Join(blockTexts(d), "\n")
				}
				if ev != reminder && !strings.Contains(out, tt.want[0]) {
					t.Errorf("%s %s %s %s lacks the date %q:\n%s", tt.lang, tt.zone, ev.Type, name, tt.want[0], out)
				}
				for _, b := range tt.bad {
					if strings.Contains(facts, b) {
						t.Errorf("%s %s %s shows %q where a date belongs:\n%s", tt.lang, tt.zone, ev.Type, b, facts)
					}
				}
			}
		}
		if got := Compose(reminder, o).Changes; len(got) != 1 || !strings.Contains(got[0], tt.want[0]) {
			t.Errorf("%s %s reminder = %q, want the date %q", tt.lang, tt.zone, got, tt.want[0])
		}
		if got := Compose(moved, o).Changes; len(got) != 1 || !strings.Contains(got[0], tt.want[len(tt.want)-1]) {
			t.Errorf("%s %s moved = %q", tt.lang, tt.zone, got)
		}
	}
	// A date at another time than midnight UTC is the day it is where the
	// reader is, as the dashboard shows it.
	tokyo := loadLoc(t, "Asia/Tokyo")
	for _, tt := range []struct {
		at   time.Time
		loc  *time.Location
		want string
	}{
		{due, tokyo, "2024年6月30日(日)"},
		{due, loadLoc(t, "Pacific/Honolulu"), "2024年6月30日(日)"},
		{at("2024-06-30T07:00:00Z"), tokyo, "2024年6月30日(日)"},
		{at("2024-06-30T23:00:00Z"), tokyo, "2024年7月1日(月)"},
		{at("2024-06-30T23:00:00Z"), nil, "2024年6月30日(日)"},
		{time.Time{}, tokyo, "—"},
	} {
		if got := FormatDateIn(tt.at, tt.loc, "ja"); got != tt.want {
			t.Errorf("FormatDateIn(%s, %v) = %q, want %q", tt.at, tt.loc, got, tt.want)
		}
	}
	if got := FormatDate(due, tokyo); got != "2024-06-30" {
		t.Errorf("FormatDate = %q", got)
	}
}

// formats writes d in every format a channel sends.
func formats(t *testing.T, d Doc) map[string]string {
	t.Helper()
	html, alt := HTMLOf(d)
	card, err := CardOf(d)
	if err != nil {
		t.Fatal(err)
	}
	slack, err := SlackOf(d)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"text": Text(d), "markdown": Markdown(d), "html": html, "mail.txt": alt,
		"card": string(card), "slack": string(slack), "json": string(doc)}
}

func fieldValues(d Doc) []string {
	var out []string
	for _, f := range d.Fields {
		if f.Key == "actionRequiredBy" {
			out = append(out, f.Value)
		}
	}
	return out
}

func blockTexts(d Doc) []string {
	var out []string
	for _, b := range d.Blocks {
		out = append(out, b.Text)
	}
	return out
}

// TestDatePhrases: the date-only phrases translate protects ("by June 30,
// 2024", "early June 2024", "mid-June 2024", "late June 2024", "June
// 2024") are masked for the translator like dates with a time, and a
// Japanese notice writes them as Japanese dates.
func TestDatePhrases(t *testing.T) {
	tests := []struct{ in, masked, ja string }{
		{"Update your devices by June 30, 2024.", "Update your devices by `{date:0}`.", "2024年6月30日(日)"},
		{"Starting Thursday, June 13, 2023, builds may be blocked.", "Starting `{date:0}`, builds may be blocked.", "2023年6月13日(火)"},
		{"Rollout begins in early June 2024.", "Rollout begins in `{date:0}`.", "2024年6月上旬"},
		{"We expect to complete by mid-June 2024.", "We expect to complete by `{date:0}`.", "2024年6月中旬"},
		{"It ends in late June 2024.", "It ends in `{date:0}`.", "2024年6月下旬"},
		{"Monthly Enterprise Channel: June 2024.", "Monthly Enterprise Channel: `{date:0}`.", "2024年6月"},
	}
	for _, tt := range tests {
		masked, dates := maskDates(tt.in)
		if masked != tt.masked || len(dates) != 1 {
			t.Errorf("maskDates(%q) = %q, %d dates; want %q", tt.in, masked, len(dates), tt.masked)
			continue
		}
		l := newTr("ja", Options{Location: loadLoc(t, "Asia/Tokyo"), Prose: func(s string) (string, bool) {
			return "訳：" + s, s == tt.masked
		}})
		if got := l.text(tt.in); got != "訳："+strings.Replace(tt.masked, "`{date:0}`", tt.ja, 1) {
			t.Errorf("ja text(%q) = %q, want the date as %q", tt.in, got, tt.ja)
		}
	}
	// A date with a time and a date-only phrase in one sentence are
	// numbered in the order they stand.
	masked, dates := maskDates("By June 30, 2024, announced May 25, 2023, at 7:00 PM UTC, or early July 2024.")
	if masked != "By `{date:0}`, announced `{date:1}`, or `{date:2}`." || len(dates) != 3 || dates[1].DateOnly || !dates[0].DateOnly {
		t.Errorf("mixed: %q, %+v", masked, dates)
	}
	// A paragraph that is only a date is not sent to a translator.
	if masked, dates := maskDates("June 30, 2024."); !onlyDates(masked, dates) {
		t.Errorf("%q is not only dates", masked)
	}
}

// TestDatePhrasesInNotice: a Message Center post whose prose gives dates
// without a time: the translator sees them masked, the Japanese notice has
// no English date left, with or without a translator (without one, the
// prose is Microsoft's, marked as the original, and a date with a time in
// it gets the reader's local time after it).
func TestDatePhrasesInNotice(t *testing.T) {
	body := "<p>We will retire the classic widget.</p><p><strong>When this will happen:</strong></p>" +
		"<p>Rollout will begin in early June 2024 and is expected to be complete by mid-June 2024.</p>" +
		"<p>The classic widget stops working on June 30, 2024. Support ended on May 25, 2023, at 7:00 PM UTC.</p>"
	m := &model.Message{ID: "MC800002", Title: "Retirement of the classic widget", Category: model.CategoryPlanForChange,
		Severity: model.SeverityNormal, Services: []string{"Exchange Online"}, Start: at("2024-05-02T17:00:00Z"),
		LastModified: at("2024-05-02T17:00:00Z"), BodyType: "html", Body: body}
	ev := &model.Event{Tenant: "contoso", Source: model.SourceMC, ItemID: m.ID, Type: model.EventMessageNew, DetectedAt: at("2024-05-03T01:00:00Z"),
		Message: m, Changes: []model.Change{{Kind: model.ChangeNew}}}
	segs := Segments(ev)
	for _, s := range segs {
		for _, month := range []string{"June", "May"} {
			if strings.Contains(s, month) {
				t.Errorf("segment %q sends a date to the translator", s)
			}
		}
	}
	ja := map[string]string{
		"Retirement of the classic widget":   "従来のウィジェットの提供終了",
		"We will retire the classic widget.": "従来のウィジェットの提供を終了します。",
		"When this will happen":              "実施時期",
		"Rollout will begin in `{date:0}` and is expected to be complete by `{date:1}`.": "ロールアウトは `{date:0}` に開始し、`{date:1}` までに完了する予定です。",
		"The classic widget stops working on `{date:0}`. Support ended on `{date:1}`.":   "従来のウィジェットは `{date:0}` に動作を停止します。サポートは `{date:1}` に終了しました。",
	}
	for _, s := range segs {
		if _, ok := ja[s]; !ok {
			t.Errorf("unexpected segment %q", s)
		}
	}
	tokyo := loadLoc(t, "Asia/Tokyo")
	o := Options{Language: "ja", Mode: ModeTranslated, Location: tokyo, Prose: func(s string) (string, bool) { v, ok := ja[s]; return v, ok }}
	_, body2 := Notice(ev, o)
	for _, want := range []string{
		"ロールアウトは 2024年6月上旬に開始し、2024年6月中旬までに完了する予定です。", // no space between a date and Japanese
		"従来のウィジェットは 2024年6月30日(日) に動作を停止します。サポートは 2023年5月26日(金) 4:00 JST に終了しました。",
	} {
		if !strings.Contains(body2, want) {
			t.Errorf("translated notice lacks %q:\n%s", want, body2)
		}
	}
	for _, bad := range []string{"June", "May 25", "UTC", "`{date"} {
		if strings.Contains(body2, bad) {
			t.Errorf("translated notice shows %q:\n%s", bad, body2)
		}
	}

	// Without a translator: labels Japanese, prose Microsoft's and marked,
	// a time with a zone also in the reader's; date-only phrases as written.
	o.Prose = nil
	_, body3 := Notice(ev, o)
	for _, want := range []string{"（原文）The classic widget stops working on June 30, 2024. Support ended on May 25, 2023, at 7:00 PM UTC（2023年5月26日(金) 4:00 JST）.",
		"（原文）Rollout will begin in early June 2024 and is expected to be complete by mid-June 2024.", "本文は翻訳されていません"} {
		if !strings.Contains(body3, want) {
			t.Errorf("untranslated notice lacks %q:\n%s", want, body3)
		}
	}
}

// TestMilestoneNamesJapanese: the rings, clouds and phases of the change
// calendar's milestones are Microsoft's Japanese terms in a Japanese
// notice, their ranges Japanese dates; English stays as it was.
func TestMilestoneNamesJapanese(t *testing.T) {
	ev := &model.Event{Source: model.SourceMC, Changes: []model.Change{
		{Kind: model.ChangeSchedule, Field: "Targeted Release: rollout complete", From: "2024-05-21/2024-05-31", To: "2024-06-11/2024-06-20"},
		{Kind: model.ChangeSchedule, Field: "General Availability (GCC High): rollout begins", To: "2024-08-14"},
		{Kind: model.ChangeSchedule, Field: "Current Channel (Preview) [Desktop, Web]: rollout #2", From: "2024-07-01/2024-09-30", To: "2024-08-01/2024-08-31"},
		{Kind: model.ChangeSchedule, Field: "Retirement", From: "2024-06-30", To: "2024-07-31"},
		{Kind: model.ChangeSchedule, Field: "Preview: date", To: "2024-06-01/2024-06-10"},
		{Kind: model.ChangeSchedule, Field: "Something we cannot read", To: "2024-06-01/2024-06-10"},
	}}
	want := []string{
		"予定の変更：対象指定リリース：ロールアウト完了：2024年5月下旬 → 2024年6月中旬",
		"予定の変更：一般提供（GCC High）：ロールアウト開始：— → 2024年8月14日(水)",
		"予定の変更：最新チャネル（プレビュー）［デスクトップ、Web］：ロールアウト #2：2024年7月1日(月)～2024年9月30日(月) → 2024年8月",
		"予定の変更：提供終了：2024年6月30日(日) → 2024年7月31日(水)",
		"予定の変更：プレビュー：予定日：— → 2024年6月上旬",
		"予定の変更：Something we cannot read：— → 2024年6月上旬",
	}
	got := newTr("ja", Options{Location: loadLoc(t, "Asia/Tokyo")}).changeLines(ev)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Japanese milestone lines (-want +got):\n%s", diff)
	}
	en := changeLines(ev, Options{})
	if en[0] != "Schedule moved: Targeted Release: rollout complete: 2024-05-21 – 2024-05-31 → 2024-06-11 – 2024-06-20" ||
		en[2] != "Schedule moved: Current Channel (Preview) [Desktop, Web]: rollout #2: 2024-07-01 – 2024-09-30 → 2024-08-01 – 2024-08-31" {
		t.Errorf("English milestone lines changed: %q", en)
	}
	if got := MilestoneLabel("ja", milestone.Milestone{Ring: milestone.RingGA, Cloud: milestone.CloudDoD}); got != "一般提供（DoD）" {
		t.Errorf("MilestoneLabel(ja) = %q", got)
	}
	if got := MilestoneLabel("en", milestone.Milestone{Ring: milestone.RingGA, Cloud: milestone.CloudDoD}); got != "General Availability (DoD)" {
		t.Errorf("MilestoneLabel(en) = %q", got)
	}
}

// TestMilestoneTermsInCatalogs: every ring, cloud, platform and phase the
// milestone package names has an entry in every catalog, and the Japanese
// ones are Microsoft's terms (japanese-terms.md).
func TestMilestoneTermsInCatalogs(t *testing.T) {
	cs, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	rings, clouds, platforms := milestone.Names()
	var keys []string
	for group, names := range map[string][]string{"ring": rings, "cloud": clouds, "platform": platforms} {
		for _, n := range names {
			keys = append(keys, group+"."+n)
		}
	}
	for _, p := range milestone.Phases() {
		keys = append(keys, "phase."+string(p))
	}
	slices.Sort(keys)
	for _, lang := range Languages() {
		for _, k := range keys {
			if _, ok := cs[lang][k]; !ok {
				t.Errorf("%s.json lacks %q", lang, k)
			}
		}
	}
	for k, want := range map[string]string{
		"ring.Targeted Release": "対象指定リリース", "ring.Standard Release": "標準リリース", "ring.General Availability": "一般提供",
		"ring.Preview": "プレビュー", "ring.Current Channel": "最新チャネル", "ring.Monthly Enterprise Channel": "月次エンタープライズ チャネル",
		"ring.Semi-Annual Enterprise Channel": "半期エンタープライズ チャネル", "cloud.GCC": "GCC", "cloud.GCC High": "GCC High", "cloud.DoD": "DoD",
		"phase.action": "対応期限", "phase.retire": "提供終了",
	} {
		if got := cs["ja"][k]; got != want {
			t.Errorf("ja %s = %q, want %q", k, got, want)
		}
	}
	// English reproduces milestone's own names, which the notices showed
	// before and which identify a milestone across revisions.
	for _, n := range rings {
		if cs["en"]["ring."+n] != n {
			t.Errorf("en ring.%s = %q", n, cs["en"]["ring."+n])
		}
	}
}
