package channels_test

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/channels"
	"github.com/shdmc/shdmc/internal/notify/file"
	"github.com/shdmc/shdmc/internal/notify/teams"
	"github.com/shdmc/shdmc/internal/render"
)

func TestDefaultTypes(t *testing.T) {
	reg := channels.Default()
	// The order is the one config's messages name the types in.
	want := []string{"stdout", "file", "smtp", "teams", "slack", "webhook", "github", "jira", "servicenow"}
	if diff := cmp.Diff(want, reg.ChannelTypeNames()); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	for _, ct := range reg {
		t.Run(ct.Name, func(t *testing.T) {
			s, ok := reg.NewChannelSettings(ct.Name)
			if !ok || s == nil {
				t.Fatalf("NewChannelSettings(%q) = %v, %v", ct.Name, s, ok)
			}
			if v := reflect.ValueOf(s); v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
				t.Errorf("settings are %T, want a pointer to a struct", s)
			}
			if s2, _ := reg.NewChannelSettings(ct.Name); reflect.ValueOf(s2).Pointer() == reflect.ValueOf(s).Pointer() {
				t.Error("NewChannelSettings returned the same settings twice")
			}
			if ct.New == nil {
				t.Error("no factory")
			}
		})
	}
	if s, ok := reg.NewChannelSettings("carrier-pigeon"); ok || s != nil {
		t.Errorf("unknown type: %v, %v", s, ok)
	}
}

func TestNew(t *testing.T) {
	reg := channels.Default()
	var out bytes.Buffer
	env := notify.Env{Stdout: &out, Render: render.Options{Location: time.UTC}}
	// Without settings (a channel built in code) a type's defaults apply.
	n, err := reg.New(config.Channel{Name: "console", Type: "stdout"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := n.(*file.Writer); !ok {
		t.Errorf("stdout channel is %T", n)
	}
	ev := &model.Event{Tenant: "contoso", Source: model.SourceSHD, ItemID: "EX1", Type: model.EventIssueNew, Revision: 1,
		Issue: &model.Issue{ID: "EX1", Title: "Mail delayed", Service: "Exchange Online"}}
	if _, err := n.Notify(context.Background(), &notify.Notice{Event: ev}); err != nil || !strings.Contains(out.String(), "EX1") {
		t.Errorf("Notify: %v, output %q", err, out.String())
	}
	n, err = reg.New(config.Channel{Name: "teams", Type: "teams", Timeout: config.Duration(time.Second),
		Settings: &teams.Settings{URL: "https://prod-01.westeurope.logic.azure.com/workflows/abc?sig=secret-sig"}}, env)
	if _, ok := n.(*teams.Teams); err != nil || !ok {
		t.Errorf("teams channel: %T, %v", n, err)
	}
	tests := []struct {
		name string
		ch   config.Channel
		want string
	}{
		{"unknown type", config.Channel{Name: "x", Type: "carrier-pigeon"}, `unknown channel type "carrier-pigeon"`},
		{"settings of another type", config.Channel{Name: "x", Type: "teams", Settings: &file.Settings{Path: "x"}},
			"channel type teams: settings are *file.Settings, want *teams.Settings"},
		{"factory error", config.Channel{Name: "x", Type: "teams", Settings: &teams.Settings{URL: "https://contoso.webhook.office.com/webhookb2/secret-path"}},
			"Office 365 connectors were retired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := reg.New(tt.ch, env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "secret-path") {
				t.Errorf("error shows the URL: %v", err)
			}
		})
	}
}
