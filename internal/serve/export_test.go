package serve_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/serve"
)

// TestExport reads what Export writes back with encoding/csv and
// encoding/json, Japanese text and every revision included.
func TestExport(t *testing.T) {
	st := fixture(t)
	type rec struct {
		Tenant, Source, ID, Title, Text string
		Revision                        int
		Services                        []string
		Data                            json.RawMessage
	}
	parse := func(t *testing.T, format string, out []byte) []rec {
		t.Helper()
		var recs []rec
		switch format {
		case "csv":
			rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(out, []byte("\uFEFF")))).ReadAll()
			if err != nil {
				t.Fatalf("csv: %v", err)
			}
			if len(rows) < 2 || strings.Join(rows[0][:4], ",") != "tenant,source,id,revision" {
				t.Fatalf("csv header %v, %d rows", rows[0], len(rows))
			}
			col := map[string]int{}
			for i, c := range rows[0] {
				col[c] = i
			}
			for _, r := range rows[1:] {
				var n int
				_ = json.Unmarshal([]byte(r[col["revision"]]), &n)
				recs = append(recs, rec{Tenant: r[col["tenant"]], Source: r[col["source"]], ID: r[col["id"]], Title: r[col["title"]],
					Text: r[col["text"]], Revision: n, Services: strings.Split(r[col["services"]], "; ")})
			}
		case "json":
			if err := json.Unmarshal(out, &recs); err != nil {
				t.Fatalf("json: %v", err)
			}
		case "jsonl":
			sc := bufio.NewScanner(bytes.NewReader(out))
			sc.Buffer(nil, 1<<24)
			for sc.Scan() {
				var r rec
				if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
					t.Fatalf("jsonl line %q: %v", sc.Text(), err)
				}
				recs = append(recs, r)
			}
		}
		return recs
	}
	tests := []struct {
		name string
		o    serve.ExportOptions
		bom  bool
	}{
		{"csv", serve.ExportOptions{Format: "csv"}, false},
		{"csv excel", serve.ExportOptions{Format: "csv", Excel: true}, true},
		{"json mc", serve.ExportOptions{Format: "json", Source: model.SourceMC}, false},
		{"jsonl revisions", serve.ExportOptions{Format: "jsonl", Revisions: true, Tenants: []string{"demo-1"}}, false},
		{"csv revisions since", serve.ExportOptions{Format: "csv", Revisions: true, Since: time.Now().AddDate(0, 0, -1)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			n, err := serve.Export(t.Context(), &b, st, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.HasPrefix(b.Bytes(), []byte("\uFEFF")); got != tt.bom {
				t.Errorf("byte order mark %v, want %v", got, tt.bom)
			}
			if tt.o.Format == "csv" && !bytes.Contains(b.Bytes(), []byte("\r\n")) {
				t.Error("CSV lines do not end in CRLF")
			}
			recs := parse(t, tt.o.Format, b.Bytes())
			if len(recs) != n || n == 0 {
				t.Fatalf("%d records parsed, Export said %d", len(recs), n)
			}
			byID := map[string][]rec{}
			for _, r := range recs {
				byID[r.ID] = append(byID[r.ID], r)
				if tt.o.Source != "" && r.Source != string(tt.o.Source) {
					t.Errorf("%s of source %s exported", r.ID, r.Source)
				}
			}
			if mc := byID["MC900002"]; len(mc) != 1 || !strings.Contains(mc[0].Text, "会議の録画は 60 日後に自動的に削除されます。") || mc[0].Services[0] != "Microsoft Teams" {
				t.Errorf("MC900002 exported as %+v", mc)
			}
			if strings.HasPrefix(tt.o.Format, "json") && len(byID["MC900002"]) == 1 && !json.Valid(byID["MC900002"][0].Data) {
				t.Error("JSON record lacks the item's data")
			}
			ex := byID["EX559755"]
			switch {
			case tt.o.Source == model.SourceMC:
				if len(ex) != 0 {
					t.Error("an issue in the MC export")
				}
			case !tt.o.Since.IsZero():
				if len(ex) != 0 {
					t.Errorf("EX559755 (modified before --since) exported %d times", len(ex))
				}
			case tt.o.Revisions:
				if len(ex) < 3 {
					t.Fatalf("EX559755 has %d revisions in the export", len(ex))
				}
				for i, r := range ex {
					if r.Revision != i+1 {
						t.Errorf("revision %d at position %d", r.Revision, i)
					}
				}
			default:
				if len(ex) != 1 || ex[0].Revision < 3 {
					t.Errorf("EX559755 exported as %+v", ex)
				}
			}
		})
	}
	for _, bad := range []serve.ExportOptions{{Format: "xml"}, {Format: "csv", Source: "teams"}} {
		if _, err := serve.Export(t.Context(), &bytes.Buffer{}, st, bad); err == nil {
			t.Errorf("Export(%+v) accepted", bad)
		}
	}
}
