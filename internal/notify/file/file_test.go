package file_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/file"
	"github.com/shdmc/shdmc/internal/render"
)

var t0 = time.Date(2023, 5, 25, 20, 0, 0, 0, time.UTC)

func sampleEvent() model.Event {
	return model.Event{
		Tenant: "contoso", Source: model.SourceSHD, ItemID: "EX559755", Type: model.EventIssueStatus, Revision: 2,
		Changes:    []model.Change{{Kind: model.ChangeStatus, From: "investigating", To: "serviceRestored"}},
		DetectedAt: t0,
		Issue: &model.Issue{ID: "EX559755", Title: "Users’ OME email may be unable to be accessed", Service: "Exchange Online",
			Classification: model.ClassificationAdvisory, Status: model.StatusServiceRestored, LastModified: t0,
			Posts: []model.Post{{Created: t0, Type: model.PostRegular, Content: "This is the final update for the event."}}},
	}
}

func TestFileChannelConcurrentJSONLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notices.jsonl")
	// Two File values on the same path stand for two processes: only
	// O_APPEND with one write per record keeps their lines whole.
	files := []*file.File{file.New(path, render.Options{}), file.New(path, render.Options{})}
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range each {
				ev := sampleEvent()
				ev.ItemID = fmt.Sprintf("EX%d-%d", w, k)
				ev.Issue.ID = ev.ItemID
				ev.Issue.ImpactDescription = strings.Repeat("long text ", 500) // > one pipe buffer
				if err := send(files[w%2], &ev); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 8<<20)
	seen := map[string]bool{}
	for sc.Scan() {
		var r file.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d is not JSON: %v", len(seen)+1, err)
		}
		if r.Event == nil || seen[r.Event.ItemID] || !strings.Contains(r.Subject, r.Event.ItemID) || r.Text == "" || r.Sent.IsZero() {
			t.Fatalf("bad or repeated record %+v", r)
		}
		seen[r.Event.ItemID] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != writers*each {
		t.Errorf("%d records, want %d", len(seen), writers*each)
	}
}

func TestFileChannelUnwritable(t *testing.T) {
	f := file.New(filepath.Join(t.TempDir(), "missing-dir", "n.jsonl"), render.Options{})
	ev := sampleEvent()
	err := send(f, &ev)
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("error %v: want a retryable error", err)
	}
}

func TestWriter(t *testing.T) {
	ev := sampleEvent()
	subject, body := render.Notice(&ev, render.Options{})
	tests := []struct {
		name  string
		new   func(*bytes.Buffer) *file.Writer
		check func(t *testing.T, out string)
	}{
		{"text", func(b *bytes.Buffer) *file.Writer { return file.NewWriter(b, render.Options{}) }, func(t *testing.T, out string) {
			if !strings.Contains(out, subject+"\n") || !strings.Contains(out, body) || !strings.Contains(out, "EX559755") {
				t.Errorf("output lacks subject %q or body:\n%s", subject, out)
			}
		}},
		{"json", func(b *bytes.Buffer) *file.Writer { return file.NewJSONWriter(b, render.Options{}) }, func(t *testing.T, out string) {
			var r file.Record
			if err := json.Unmarshal([]byte(out), &r); err != nil || r.Subject != subject || r.Event.ItemID != "EX559755" {
				t.Errorf("record %+v, %v", r, err)
			}
			if strings.Count(out, "\n") != 1 {
				t.Errorf("want one line, got %q", out)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := send(tt.new(&b), &ev); err != nil {
				t.Fatal(err)
			}
			tt.check(t, b.String())
		})
	}
}

// send sends ev through n as the dispatcher would, with no route.
func send(n notify.Notifier, ev *model.Event) error {
	_, err := n.Notify(context.Background(), &notify.Notice{Event: ev})
	return err
}
