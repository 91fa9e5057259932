package datephrase

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestFind(t *testing.T) {
	type found struct {
		Text   string
		Phrase Phrase
	}
	tests := []struct {
		text string
		want []found
	}{
		{"We expect to complete by June 30, 2024.", []found{{"June 30, 2024", Phrase{2024, time.June, 30, Day}}}},
		{"Rollout begins in early June 2024 and ends by mid-July 2024.", []found{
			{"early June 2024", Phrase{2024, time.June, 0, Early}}, {"mid-July 2024", Phrase{2024, time.July, 0, Mid}}}},
		{"Late June 2023: Targeted Release.", []found{{"Late June 2023", Phrase{2023, time.June, 0, Late}}}},
		{"Monthly Enterprise Channel: August 2023.", []found{{"August 2023", Phrase{2023, time.August, 0, Month}}}},
		{"Starting Thursday, June 13, 2023, builds may be blocked.", []found{{"Thursday, June 13, 2023", Phrase{2023, time.June, 13, Day}}}},
		{"before Sept. 4th, 2024 or Jun 3, 2024", []found{
			{"Sept. 4th, 2024", Phrase{2024, time.September, 4, Day}}, {"Jun 3, 2024", Phrase{2024, time.June, 3, Day}}}},
		{"from mid June 2024 to late-July 2024", []found{
			{"mid June 2024", Phrase{2024, time.June, 0, Mid}}, {"late-July 2024", Phrase{2024, time.July, 0, Late}}}},
		{"February 29, 2024 is a day; it was a leap year.", []found{{"February 29, 2024", Phrase{2024, time.February, 29, Day}}}},
		{"Starts June 13, 2023 at 10:00 AM PDT.", nil},    // a time follows: not date-only
		{"Starts June 13, 2023, 8:00 PM.", nil},           // likewise
		{"Starts June 13, 2023 at 8 PM.", nil},            // likewise
		{"February 30, 2024 is no date.", nil},            // no such day
		{"Users may 2024 see it; June 10-14, 2024.", nil}, // lower case "may"; a range
		{"In June, we'll share more. Version 2406.", nil}, // no year
		{"Deployment of the fix completed on `{date:0}`.", nil},
	}
	for _, tt := range tests {
		var got []found
		for _, m := range Find(tt.text) {
			got = append(got, found{tt.text[m.Start:m.End], m.Phrase})
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Find(%q) (-want +got):\n%s", tt.text, diff)
		}
	}
}

func TestDays(t *testing.T) {
	tests := []struct {
		p        Phrase
		from, to time.Time
	}{
		{Phrase{2024, time.June, 30, Day}, day(2024, 6, 30), day(2024, 6, 30)},
		{Phrase{2024, time.June, 0, Month}, day(2024, 6, 1), day(2024, 6, 30)},
		{Phrase{2024, time.June, 0, Early}, day(2024, 6, 1), day(2024, 6, 10)},
		{Phrase{2024, time.June, 0, Mid}, day(2024, 6, 11), day(2024, 6, 20)},
		{Phrase{2024, time.February, 0, Late}, day(2024, 2, 21), day(2024, 2, 29)},
		{Phrase{2023, time.December, 0, Month}, day(2023, 12, 1), day(2023, 12, 31)},
	}
	for _, tt := range tests {
		from, to := tt.p.Days()
		if !from.Equal(tt.from) || !to.Equal(tt.to) {
			t.Errorf("%+v.Days() = %s – %s, want %s – %s", tt.p, from, to, tt.from, tt.to)
		}
		if !tt.p.Time().Equal(tt.from) {
			t.Errorf("%+v.Time() = %s", tt.p, tt.p.Time())
		}
		back, ok := OfDays(from, to)
		if !ok || back != tt.p {
			t.Errorf("OfDays(%s, %s) = %+v, %v; want %+v", from, to, back, ok, tt.p)
		}
	}
	for _, r := range [][2]time.Time{
		{day(2024, 6, 10), day(2024, 6, 16)}, // a week
		{day(2024, 7, 1), day(2024, 9, 30)},  // a quarter
		{day(2024, 6, 21), day(2024, 7, 10)}, // late June to early July
		{{}, {}},
	} {
		if p, ok := OfDays(r[0], r[1]); ok {
			t.Errorf("OfDays(%s, %s) = %+v; want no phrase", r[0], r[1], p)
		}
	}
}
