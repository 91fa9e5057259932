package route

import (
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
)

func TestNextDigest(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	ny, _ := time.LoadLocation("America/New_York")
	at := func(s string, loc *time.Location) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		t    time.Time
		d    config.Digest
		loc  *time.Location
		want time.Time
	}{
		{"daily later today", at("2023-05-22 06:00", tokyo), config.Digest{}, tokyo, at("2023-05-22 08:00", tokyo)},
		{"daily tomorrow", at("2023-05-22 08:00", tokyo), config.Digest{}, tokyo, at("2023-05-23 08:00", tokyo)},
		{"daily custom time", at("2023-05-22 18:30", tokyo), config.Digest{At: "17:45"}, tokyo, at("2023-05-23 17:45", tokyo)},
		{"weekly monday", at("2023-05-23 09:00", tokyo), config.Digest{Every: "weekly"}, tokyo, at("2023-05-29 08:00", tokyo)},
		{"weekly friday same day", at("2023-05-26 07:00", tokyo), config.Digest{Every: "weekly", Weekday: "fri"}, tokyo, at("2023-05-26 08:00", tokyo)},
		{"daily across DST start", at("2023-03-11 09:00", ny), config.Digest{}, ny, at("2023-03-12 08:00", ny)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := compilePolicy(config.Route{Name: "r", Delivery: "digest", Digest: tt.d})
			if err != nil {
				t.Fatal(err)
			}
			if got := p.NextDigest(tt.t, tt.loc); !got.Equal(tt.want) {
				t.Errorf("nextDigest = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestQuietHours(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	at := func(s string) time.Time { v, _ := time.ParseInLocation("2006-01-02 15:04", s, tokyo); return v }
	night := config.QuietHours{From: "22:00", To: "07:00"}
	lunch := config.QuietHours{From: "12:00", To: "13:00"}
	tests := []struct {
		name   string
		now    time.Time
		q      config.QuietHours
		want   time.Time
		inside bool
	}{
		{"before midnight", at("2023-05-22 23:30"), night, at("2023-05-23 07:00"), true},
		{"after midnight", at("2023-05-23 03:00"), night, at("2023-05-23 07:00"), true},
		{"at the end", at("2023-05-23 07:00"), night, time.Time{}, false},
		{"daytime", at("2023-05-23 15:00"), night, time.Time{}, false},
		{"same-day window", at("2023-05-23 12:30"), lunch, at("2023-05-23 13:00"), true},
		{"outside same-day window", at("2023-05-23 13:30"), lunch, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := compilePolicy(config.Route{Name: "r", QuietHours: tt.q})
			if err != nil {
				t.Fatal(err)
			}
			got, in := p.QuietUntil(tt.now, tokyo)
			if in != tt.inside || !got.Equal(tt.want) {
				t.Errorf("quietUntil = %s, %v; want %s, %v", got, in, tt.want, tt.inside)
			}
		})
	}
}

func TestUrgent(t *testing.T) {
	urgent := func(ev *model.Event, list []string) bool {
		p, err := compilePolicy(config.Route{Name: "r", QuietHours: config.QuietHours{From: "22:00", To: "07:00", Urgent: list}})
		if err != nil {
			t.Fatal(err)
		}
		return p.Urgent(ev)
	}
	outage := &model.Event{Type: model.EventIssueNew, Issue: &model.Issue{Status: model.StatusServiceInterruption}}
	advisory := &model.Event{Type: model.EventIssuePost, Issue: &model.Issue{Status: model.StatusInvestigating}}
	critical := &model.Event{Type: model.EventMessageNew, Message: &model.Message{Severity: model.SeverityCritical}}
	normal := &model.Event{Type: model.EventMessageNew, Message: &model.Message{Severity: model.SeverityNormal}}
	down := &model.Event{Type: "source.down"}
	for _, ev := range []*model.Event{outage, critical, down} {
		if !urgent(ev, nil) {
			t.Errorf("%s should pass quiet hours by default", ev.Type)
		}
	}
	for _, ev := range []*model.Event{advisory, normal} {
		if urgent(ev, nil) {
			t.Errorf("%s should wait for the end of quiet hours", ev.Type)
		}
	}
	if !urgent(advisory, []string{"Investigating"}) || urgent(outage, []string{"critical"}) {
		t.Error("a route's own urgent list is not applied")
	}
}

// TestPolicyCompiled: a route's time zone, language, failover and
// template are resolved once, when the router is built; a bad time zone is
// an error then, not at delivery.
func TestPolicyCompiled(t *testing.T) {
	r, err := New([]config.Route{{Name: "ja", Channels: []string{"teams"}, Language: "JA", Mode: "bilingual",
		TimeZone: "Asia/Tokyo", Template: "short", Failover: config.Failover{Channel: "mail", After: config.Duration(time.Minute)}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := r.Policy("ja")
	if p.Location == nil || p.Location.String() != "Asia/Tokyo" || p.Language != "ja" || !p.Translated() ||
		p.FailoverFor("teams") != "mail" || p.FailoverFor("mail") != "" || p.FailoverAfter != time.Minute || p.Template != "short" {
		t.Errorf("policy = %+v", p)
	}
	if _, err := New([]config.Route{{Name: "bad", Channels: []string{"x"}, TimeZone: "Mars/Olympus"}}, nil); err == nil {
		t.Error("a bad time zone was accepted")
	}
}
