package render

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// TestAlsoIn checks the footer line of a notice grouped over tenants.
func TestAlsoIn(t *testing.T) {
	many := make([]string, 12)
	for i := range many {
		many[i] = fmt.Sprintf("t%02d", i)
	}
	ev := &model.Event{Tenant: "contoso", Source: model.SourceMC, ItemID: "MC1", Type: model.EventMessageNew,
		DetectedAt: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC),
		Message:    &model.Message{ID: "MC1", Title: "A change", Body: "<p>Text</p>"}}
	tests := []struct {
		name, lang string
		also       []string
		want       string // last footer line
	}{
		{"none", "", nil, "Tenant contoso · detected"},
		{"one", "", []string{"fabrikam"}, "Also in 1 other tenant: fabrikam"},
		{"several", "", []string{"fabrikam", "northwind", "tailspin"}, "Also in 3 other tenants: fabrikam, northwind, tailspin"},
		{"capped", "", many, "Also in 12 other tenants: t00, t01, t02, t03, t04, t05, t06, t07, t08, t09, … (2 more)"},
		{"japanese", "ja", []string{"fabrikam", "northwind"}, "ほかに 2 テナントでも同じ投稿：fabrikam、northwind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Compose(ev, Options{Language: tt.lang, AlsoIn: tt.also})
			lines := strings.Split(d.Footer, "\n")
			if last := lines[len(lines)-1]; !strings.HasPrefix(last, tt.want) {
				t.Errorf("footer %q: last line want prefix %q", d.Footer, tt.want)
			}
			if len(tt.also) > 0 && len(lines) != 2 {
				t.Errorf("footer %q: want the tenant line, then the also-in line", d.Footer)
			}
			if _, body := Notice(ev, Options{Language: tt.lang, AlsoIn: tt.also}); !strings.Contains(body, lines[len(lines)-1]) {
				t.Errorf("text notice lacks %q:\n%s", lines[len(lines)-1], body)
			}
		})
	}
}
