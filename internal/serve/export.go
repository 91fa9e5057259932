package serve

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// ExportOptions configure Export.
type ExportOptions struct {
	// Format is "csv", "json" (one array) or "jsonl" (JSON Lines).
	Format string
	// Source keeps one source ("shd", "mc" or "health"); "" keeps all.
	Source model.Source
	// Tenants keeps these tenants; nil keeps all.
	Tenants []string
	// Since keeps items last modified at or after it; zero keeps all.
	Since time.Time
	// Revisions writes every stored revision of each item (oldest first)
	// instead of its current state only.
	Revisions bool
	// Excel starts CSV with a UTF-8 byte order mark, without which
	// Japanese Excel reads UTF-8 as Shift_JIS.
	Excel bool
}

// exportColumns are the CSV header and the JSON field names of a record.
var exportColumns = []string{"tenant", "source", "id", "revision", "title", "status", "classification", "category",
	"severity", "services", "tags", "majorChange", "actionRequiredBy", "start", "end", "lastModified", "seenAt", "removed", "text"}

// exportRecord is one item or revision as Export writes it.
type exportRecord struct {
	Tenant           string          `json:"tenant"`
	Source           string          `json:"source"`
	ID               string          `json:"id"`
	Revision         int             `json:"revision"`
	Title            string          `json:"title"`
	Status           string          `json:"status,omitempty"`
	Classification   string          `json:"classification,omitempty"`
	Category         string          `json:"category,omitempty"`
	Severity         string          `json:"severity,omitempty"`
	Services         []string        `json:"services"`
	Tags             []string        `json:"tags"`
	MajorChange      bool            `json:"majorChange"`
	ActionRequiredBy string          `json:"actionRequiredBy,omitempty"`
	Start            string          `json:"start,omitempty"`
	End              string          `json:"end,omitempty"`
	LastModified     string          `json:"lastModified"`
	SeenAt           string          `json:"seenAt"`
	Removed          bool            `json:"removed"`
	Text             string          `json:"text"`
	Data             json.RawMessage `json:"data,omitempty"`
}

// row is the record as CSV fields in exportColumns order, each one safe
// to open in a spreadsheet (csvCell).
func (e exportRecord) row() []string {
	r := []string{e.Tenant, e.Source, e.ID, strconv.Itoa(e.Revision), e.Title, e.Status, e.Classification, e.Category,
		e.Severity, strings.Join(e.Services, "; "), strings.Join(e.Tags, "; "), strconv.FormatBool(e.MajorChange),
		e.ActionRequiredBy, e.Start, e.End, e.LastModified, e.SeenAt, strconv.FormatBool(e.Removed), e.Text}
	for i := range r {
		r[i] = csvCell(r[i])
	}
	return r
}

// csvCell neutralizes a cell that a spreadsheet would run as a formula
// ("=HYPERLINK(…)", "=cmd|…", "+…", "-…", "@…", or one starting with a
// tab or carriage return, which Excel skips before looking): a leading
// apostrophe makes it text (OWASP "CSV injection"). The JSON exports keep
// the value as it is.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Export writes the current items of st matching o (every revision with
// o.Revisions), newest modification first, and returns how many records
// it wrote. CSV follows RFC 4180 (a header row, CRLF line ends, quoting
// by encoding/csv), and a cell starting with =, +, -, @, a tab or a
// carriage return gets a leading apostrophe so that a spreadsheet shows it
// as text instead of running it as a formula; times are RFC 3339 in UTC; text is the plain text of
// an MC body or of an issue's impact and posts.
func Export(ctx context.Context, w io.Writer, st store.Store, o ExportOptions) (int, error) {
	rd, ok := store.AsReader(st)
	if !ok {
		return 0, errors.New("export: the store engine has no read index")
	}
	switch o.Source {
	case "", model.SourceSHD, model.SourceMC, model.SourceHealth:
	default:
		return 0, fmt.Errorf("export: unknown source %q (shd, mc or health)", o.Source)
	}
	var emit func(exportRecord) error
	var finish func() error
	n := 0
	switch o.Format {
	case "csv":
		if o.Excel {
			if _, err := io.WriteString(w, "\uFEFF"); err != nil {
				return 0, fmt.Errorf("export: %w", err)
			}
		}
		cw := csv.NewWriter(w)
		cw.UseCRLF = true
		if err := cw.Write(exportColumns); err != nil {
			return 0, fmt.Errorf("export: %w", err)
		}
		emit = func(e exportRecord) error { return cw.Write(e.row()) }
		finish = func() error { cw.Flush(); return cw.Error() }
	case "json", "jsonl":
		arr := o.Format == "json"
		if arr {
			if _, err := io.WriteString(w, "["); err != nil {
				return 0, fmt.Errorf("export: %w", err)
			}
		}
		emit = func(e exportRecord) error {
			b, err := json.Marshal(e)
			if err != nil {
				return err
			}
			sep := "\n"
			if arr && n > 0 {
				sep = ",\n"
			}
			if arr {
				_, err = io.WriteString(w, sep+string(b))
			} else {
				_, err = io.WriteString(w, string(b)+"\n")
			}
			return err
		}
		finish = func() error {
			if !arr {
				return nil
			}
			end := "]\n"
			if n > 0 {
				end = "\n]\n"
			}
			_, err := io.WriteString(w, end)
			return err
		}
	default:
		return 0, fmt.Errorf("export: unknown format %q (csv, json or jsonl)", o.Format)
	}
	q := store.ItemQuery{Source: o.Source, Tenants: o.Tenants, ModifiedSince: o.Since, IncludeRemoved: true, Limit: 1000, NoCount: true}
	for pages := 0; pages < 1_000_000; pages++ {
		p, err := rd.SearchItems(ctx, q)
		if err != nil {
			return n, fmt.Errorf("export: %w", err)
		}
		for _, it := range p.Items {
			recs := []store.Item{it}
			if o.Revisions {
				if recs, err = itemRevisions(ctx, st, it.Key); err != nil {
					return n, fmt.Errorf("export: %w", err)
				}
			}
			for _, r := range recs {
				if err := emit(recordOf(r, o.Format != "csv")); err != nil {
					return n, fmt.Errorf("export: %w", err)
				}
				n++
			}
		}
		if !p.More {
			break
		}
		q.After = p.Next
	}
	if err := finish(); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}

// itemRevisions returns every revision of one item, oldest first.
func itemRevisions(ctx context.Context, st store.Store, key model.ItemKey) ([]store.Item, error) {
	all, err := st.History(ctx, key.Tenant, key.ID)
	if err != nil {
		return nil, fmt.Errorf("read history of %s: %w", key.ID, err)
	}
	var out []store.Item
	for _, r := range all {
		if r.Key == key {
			out = append(out, store.Item(r))
		}
	}
	return out, nil
}

// recordOf decodes an item into its export record; withData keeps the
// item's full JSON.
func recordOf(it store.Item, withData bool) exportRecord {
	tm := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	e := exportRecord{Tenant: it.Key.Tenant, Source: string(it.Key.Source), ID: it.Key.ID, Revision: it.Revision,
		LastModified: tm(it.LastModified), SeenAt: tm(it.SeenAt), Removed: it.Removed, Services: []string{}, Tags: []string{}}
	if withData && json.Valid(it.Data) {
		e.Data = json.RawMessage(it.Data)
	}
	switch it.Key.Source {
	case model.SourceMC:
		var m model.Message
		if json.Unmarshal(it.Data, &m) == nil {
			e.Title, e.Category, e.Severity, e.MajorChange = m.Title, string(m.Category), string(m.Severity), m.IsMajorChange
			e.Services, e.Tags = append(e.Services, m.Services...), append(e.Tags, m.Tags...)
			e.ActionRequiredBy, e.Start, e.End = tm(m.ActionRequiredBy), tm(m.Start), tm(m.End)
			e.Text = htmltext.Text(m.Body)
		}
	case model.SourceSHD:
		var is model.Issue
		if json.Unmarshal(it.Data, &is) == nil {
			e.Title, e.Status, e.Classification = is.Title, string(is.Status), string(is.Classification)
			if is.Service != "" {
				e.Services = append(e.Services, is.Service)
			}
			e.Start, e.End = tm(is.Start), tm(is.End)
			parts := []string{is.ImpactDescription}
			for _, p := range is.Posts {
				parts = append(parts, tm(p.Created)+"\n"+htmltext.Text(p.Content))
			}
			e.Text = strings.TrimSpace(strings.Join(parts, "\n\n"))
		}
	default:
		var sh model.ServiceHealth
		if json.Unmarshal(it.Data, &sh) == nil {
			e.Title, e.Status = sh.Service, string(sh.Status)
			if sh.Service != "" {
				e.Services = append(e.Services, sh.Service)
			}
		}
	}
	return e
}
