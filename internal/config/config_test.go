package config_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.yaml.in/yaml/v3"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/notify/channels"
	"github.com/shdmc/shdmc/internal/notify/file"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// leakMarker starts every secret value used in test configurations; no
// error message or printed form may contain it.
const leakMarker = "LEAKME"

// testEnv is the environment the good and bad configurations see.
func testEnv(extra map[string]string) func(string) (string, bool) {
	env := map[string]string{
		"CONTOSO_SECRET": leakMarker + "-env-secret",
		"PFX_PASSWORD":   "pfx-pass-1234",
	}
	for k, v := range extra {
		env[k] = v
	}
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

func parseFile(t *testing.T, path string, env func(string) (string, bool)) (*config.Config, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return config.Parse(data, path, env, channels.Default())
}

// golden compares got with the golden file, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func TestBadConfigs(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad configs: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, err := parseFile(t, f, testEnv(nil))
			if err == nil {
				t.Fatalf("Parse succeeded, want errors; config: %+v", cfg)
			}
			if cfg != nil {
				t.Errorf("Parse returned a config along with errors")
			}
			var errs config.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error is %T, want a non-empty Errors", err)
			}
			for _, e := range errs {
				if e.File != f {
					t.Errorf("error %q names file %q, want %q", e, e.File, f)
				}
			}
			if strings.Contains(err.Error(), leakMarker) {
				t.Errorf("error text contains a secret:\n%s", err)
			}
			golden(t, strings.TrimSuffix(f, ".yaml")+".err", []byte(err.Error()+"\n"))
		})
	}
}

func TestGoodConfigs(t *testing.T) {
	files, err := filepath.Glob("testdata/good/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no good configs: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, err := parseFile(t, f, testEnv(nil))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := cfg.Validate(); err != nil {
				t.Errorf("Validate after Parse: %v", err)
			}
			// The golden JSON shows every resolved value and default;
			// secrets print as <secret>.
			b, err := json.MarshalIndent(cfg, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(leakMarker)) {
				t.Errorf("JSON contains a secret:\n%s", b)
			}
			golden(t, strings.TrimSuffix(f, ".yaml")+".json", append(b, '\n'))
		})
	}
}

// TestResolvedSecrets checks the values behind <secret> in the golden
// files: env expansion, trimmed secret files, the password moved out of the
// store URL.
func TestResolvedSecrets(t *testing.T) {
	full, err := parseFile(t, "testdata/good/full.yaml", testEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	minimal, err := parseFile(t, "testdata/good/minimal.yaml", testEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"env expansion", minimal.Tenants[0].ClientSecret.Reveal(), leakMarker + "-env-secret"},
		{"secret file trimmed", full.Tenants[0].ClientSecret.Reveal(), leakMarker + "-file-secret"},
		{"password file", full.Tenants[1].CertificatePassword.Reveal(), "pfx-pass-1234"},
		{"store password from URL", full.StorePassword.Reveal(), leakMarker + "-url-password"},
		{"store without password", full.Store, "postgres://shdmc@db.example.com:5432/shdmc?sslmode=verify-full"},
		{"store DSN", full.StoreDSN().Reveal(), "postgres://shdmc:" + leakMarker + "-url-password@db.example.com:5432/shdmc?sslmode=verify-full"},
		{"sqlite DSN", minimal.StoreDSN().Reveal(), "sqlite://shdmc.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

// TestNoSecretLeaks loads a configuration full of secrets through Load (the
// real environment and files) and prints it every way a program might.
func TestNoSecretLeaks(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret.txt")
	if err := os.WriteFile(secretFile, []byte(leakMarker+"-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pfx, err := os.ReadFile("testdata/certs/client.pfx")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "client.pfx"), pfx, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SHDMC_TEST_SECRET", leakMarker+"-from-env")
	t.Setenv("SHDMC_TEST_PFX_PASSWORD", "pfx-pass-1234")
	cfgText := `store: postgres://u:` + leakMarker + `-db@db/shdmc
tenants:
  - id: a
    tenant_id: a.onmicrosoft.com
    client_id: 11111111-2222-3333-4444-555555555555
    client_secret: ${SHDMC_TEST_SECRET}
  - id: b
    tenant_id: b.onmicrosoft.com
    client_id: 11111111-2222-3333-4444-555555555555
    client_secret_file: secret.txt
  - id: c
    tenant_id: c.onmicrosoft.com
    client_id: 11111111-2222-3333-4444-555555555555
    certificate_file: client.pfx
    certificate_password: ${SHDMC_TEST_PFX_PASSWORD}
`
	path := filepath.Join(dir, "shdmc.yaml")
	if err := os.WriteFile(path, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, channels.Default())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	secrets := []string{leakMarker, "pfx-pass-1234"}
	// The secrets must really be there, or the test proves nothing.
	if got := cfg.Tenants[0].ClientSecret.Reveal() + cfg.Tenants[1].ClientSecret.Reveal() + cfg.Tenants[2].CertificatePassword.Reveal() + cfg.StorePassword.Reveal(); got != leakMarker+"-from-env"+leakMarker+"-from-file"+"pfx-pass-1234"+leakMarker+"-db" {
		t.Fatalf("secrets not loaded: %d bytes", len(got))
	}

	outputs := map[string]string{
		"fmt %v %+v %#v": fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg),
		"fmt *cfg":       fmt.Sprintf("%v %+v %#v", *cfg, *cfg, *cfg),
		"fmt tenant":     fmt.Sprintf("%v %+v %#v %s %q %x %X %d", cfg.Tenants[0], cfg.Tenants[0], cfg.Tenants[0], cfg.Tenants[0].ClientSecret, cfg.Tenants[0].ClientSecret, cfg.Tenants[0].ClientSecret, cfg.Tenants[0].ClientSecret, cfg.Tenants[0].ClientSecret),
		"Println":        fmt.Sprintln(cfg, cfg.Tenants, cfg.Tenants[1].ClientSecret),
	}
	if b, err := json.Marshal(cfg); err != nil {
		t.Fatal(err)
	} else {
		outputs["json"] = string(b)
	}
	if b, err := yaml.Marshal(cfg); err != nil {
		t.Fatal(err)
	} else {
		outputs["yaml"] = string(b)
	}
	for _, h := range []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
	}{
		{"slog text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
		{"slog json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
	} {
		var buf bytes.Buffer
		log := slog.New(h.new(&buf))
		log.Info("config loaded", "config", cfg, "tenant", cfg.Tenants[0], "secret", cfg.Tenants[0].ClientSecret)
		outputs[h.name] = buf.String()
	}
	for name, out := range outputs {
		if !strings.Contains(out, "<secret>") && !strings.Contains(out, `\u003csecret\u003e`) {
			t.Errorf("%s: no <secret> placeholder in %q", name, out)
		}
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s output contains secret %q:\n%s", name, s, out)
			}
		}
	}
}

func TestSecretFormatting(t *testing.T) {
	s := config.Secret("hunter2")
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"String", s.String(), "<secret>"},
		{"%v", fmt.Sprintf("%v", s), "<secret>"},
		{"%#v", fmt.Sprintf("%#v", s), "<secret>"},
		{"%q", fmt.Sprintf("%q", s), `"<secret>"`},
		{"%x", fmt.Sprintf("%x", s), "<secret>"},
		{"%10s", fmt.Sprintf("%10s", s), "<secret>"},
		{"Reveal", s.Reveal(), "hunter2"},
		{"LogValue", s.LogValue().String(), "<secret>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestSample(t *testing.T) {
	// Parsed as if it lived in testdata/sample, next to certs/fabrikam.pem
	// (which only its commented-out certificate tenant needs).
	env := testEnv(map[string]string{"CONTOSO_CLIENT_SECRET": leakMarker + "-sample"})
	cfg, err := config.Parse(config.Sample(), "testdata/sample/shdmc.yaml", env, channels.Default())
	if err != nil {
		t.Fatalf("sample does not validate:\n%v", err)
	}
	// The optional tenants are commented out, so that the sample validates
	// as it is, with only the environment variable the README exports.
	if len(cfg.Tenants) != 1 || len(cfg.Channels) != 2 {
		t.Errorf("sample has %d tenants and %d channels, want 1 and 2", len(cfg.Tenants), len(cfg.Channels))
	}
	if _, err := config.Parse(config.Sample(), filepath.Join(t.TempDir(), "shdmc.yaml"), env, channels.Default()); err != nil {
		t.Errorf("the sample needs files beside it:\n%v", err)
	}
	// The commented-out certificate tenant validates once its lines are
	// uncommented, with its certificate beside the file.
	var lines []string
	in := false
	for _, l := range strings.Split(string(config.Sample()), "\n") {
		in = l == "  # - id: fabrikam" || (in && strings.HasPrefix(l, "  #   "))
		if in {
			l = "  " + strings.TrimPrefix(l, "  # ")
		}
		lines = append(lines, l)
	}
	all, err := config.Parse([]byte(strings.Join(lines, "\n")), "testdata/sample/shdmc.yaml", env, channels.Default())
	if err != nil {
		t.Fatalf("the sample with its certificate tenant does not validate:\n%v", err)
	}
	var ids []string
	for _, tn := range all.Tenants {
		ids = append(ids, tn.ID)
	}
	if got := strings.Join(ids, ","); got != "contoso,fabrikam" || all.Tenants[1].Auth != config.AuthCertificate || config.Enabled(all.Tenants[1].Sources.Messages) {
		t.Errorf("tenants with the optional ones = %s", got)
	}
	// The sample documents the defaults: apart from its tenants and
	// channels it must equal Default().
	got := *cfg
	got.Tenants, got.Channels, got.Routes, got.Path = nil, nil, nil, ""
	if diff := cmp.Diff(config.Default(), &got, cmpopts.IgnoreUnexported(config.Config{})); diff != "" {
		t.Errorf("sample top-level values differ from Default() (-default +sample):\n%s", diff)
	}
	// Without the environment variable, the sample says what is missing.
	_, err = config.Parse(config.Sample(), "testdata/sample/shdmc.yaml", nil, channels.Default())
	if err == nil || !strings.Contains(err.Error(), "tenants[0].client_secret: environment variable CONTOSO_CLIENT_SECRET is not set") {
		t.Errorf("Parse without env: got %v", err)
	}
}

// TestSampleDocumentsEveryKey keeps sample.yaml complete: every key of
// every struct appears in it (possibly commented out).
func TestSampleDocumentsEveryKey(t *testing.T) {
	sample := string(config.Sample())
	types := []reflect.Type{}
	for _, typ := range []any{config.Config{}, config.Tenant{}, config.Channel{}, config.Sources{}, config.Log{}, config.Baseline{}, config.Serve{},
		config.Route{}, config.Match{}, config.Failover{}, config.QuietHours{}, config.Digest{}, config.Translator{}, config.Serve{}} {
		types = append(types, reflectTypeOf(typ))
	}
	// The settings of every channel type, and the structs in them (smtp).
	for _, ct := range channels.Default() {
		st := reflect.TypeOf(ct.NewSettings()).Elem()
		types = append(types, st)
		for i := range st.NumField() {
			if ft := st.Field(i).Type; ft.Kind() == reflect.Struct {
				types = append(types, ft)
			}
		}
	}
	for _, typ := range types {
		for _, name := range config.YAMLKeys(typ) {
			if !strings.Contains(sample, name+":") {
				t.Errorf("sample.yaml does not mention %q (%s)", name, typ)
			}
		}
	}
}

func TestEnvOverlay(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		check   func(*config.Config) string
		wantErr string
	}{
		{
			name: "all four",
			env:  map[string]string{"SHDMC_STORE": "sqlite:///var/lib/shdmc.db", "SHDMC_INTERVAL": "90s", "SHDMC_TIME_ZONE": "Asia/Tokyo", "SHDMC_LOG_LEVEL": "debug"},
			check: func(c *config.Config) string {
				return fmt.Sprint(c.Store, " ", c.Interval, " ", c.TimeZone, " ", c.Log.Level, " ", c.Location())
			},
		},
		{
			name:  "empty values are ignored",
			env:   map[string]string{"SHDMC_STORE": "", "SHDMC_INTERVAL": ""},
			check: func(c *config.Config) string { return fmt.Sprint(c.Store, " ", c.Interval) },
		},
		{
			name:    "bad interval",
			env:     map[string]string{"SHDMC_INTERVAL": "5 minutes"},
			wantErr: `testdata/good/minimal.yaml: interval: from SHDMC_INTERVAL: invalid duration "5 minutes": write it like 90s, 5m or 1h30m`,
		},
		{
			name:    "interval too short",
			env:     map[string]string{"SHDMC_INTERVAL": "10s"},
			wantErr: "testdata/good/minimal.yaml: interval: 10s is below the minimum of 30s: Microsoft Graph allows 800 service-communications requests per hour per app and tenant (from SHDMC_INTERVAL)",
		},
		{
			name:    "bad zone and level",
			env:     map[string]string{"SHDMC_TIME_ZONE": "Tokyo", "SHDMC_LOG_LEVEL": "loud"},
			wantErr: "testdata/good/minimal.yaml: time_zone: unknown time zone \"Tokyo\": use an IANA name such as UTC, Europe/Berlin or Asia/Tokyo (from SHDMC_TIME_ZONE)\ntestdata/good/minimal.yaml: log.level: unknown level \"loud\" (want debug, info, warn or error) (from SHDMC_LOG_LEVEL)",
		},
	}
	want := map[string]string{
		"all four":                 "sqlite:///var/lib/shdmc.db 1m30s Asia/Tokyo debug Asia/Tokyo",
		"empty values are ignored": "sqlite://shdmc.db 5m",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseFile(t, "testdata/good/minimal.yaml", testEnv(tt.env))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got error\n%v\nwant\n%s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.check(cfg); got != want[tt.name] {
				t.Errorf("got %q, want %q", got, want[tt.name])
			}
		})
	}
}

// TestServeEnvOverlay: the dashboard's credentials come from the
// SHDMC_SERVE_* variables (a *_FILE variable wins over its value) unless
// the config sets a token or a username, and count for serve.addr.
func TestServeEnvOverlay(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("  "+leakMarker+"-token-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	passwordFile := filepath.Join(dir, "password")
	if err := os.WriteFile(passwordFile, []byte(leakMarker+"-password-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const (
		loopback   = ""
		everywhere = "serve:\n  addr: 0.0.0.0:8080\n"
		withToken  = "serve:\n  token: " + leakMarker + "-config-token\n"
		withUser   = "serve:\n  username: cfg\n  password: " + leakMarker + "-config-password\n"
	)
	tests := []struct {
		name    string
		yaml    string
		env     map[string]string
		want    string // token username password, revealed
		wantErr string
	}{
		{"none", loopback, nil, "  ", ""},
		{"token", loopback, map[string]string{"SHDMC_SERVE_TOKEN": leakMarker + "-token"}, leakMarker + "-token  ", ""},
		{"token file wins", loopback, map[string]string{"SHDMC_SERVE_TOKEN": leakMarker + "-token", "SHDMC_SERVE_TOKEN_FILE": tokenFile},
			leakMarker + "-token-file  ", ""},
		{"basic auth", loopback, map[string]string{"SHDMC_SERVE_USERNAME": "ops", "SHDMC_SERVE_PASSWORD": leakMarker + "-password"},
			" ops " + leakMarker + "-password", ""},
		{"password file", loopback, map[string]string{"SHDMC_SERVE_USERNAME": "ops", "SHDMC_SERVE_PASSWORD_FILE": passwordFile},
			" ops " + leakMarker + "-password-file", ""},
		{"token and basic auth", loopback, map[string]string{"SHDMC_SERVE_TOKEN": leakMarker + "-token",
			"SHDMC_SERVE_USERNAME": "ops", "SHDMC_SERVE_PASSWORD": leakMarker + "-password"},
			leakMarker + "-token ops " + leakMarker + "-password", ""},
		{"empty values are ignored", loopback, map[string]string{"SHDMC_SERVE_TOKEN": "", "SHDMC_SERVE_TOKEN_FILE": "",
			"SHDMC_SERVE_USERNAME": "", "SHDMC_SERVE_PASSWORD": ""}, "  ", ""},
		{"the config's token wins", withToken, map[string]string{"SHDMC_SERVE_TOKEN": leakMarker + "-token",
			"SHDMC_SERVE_USERNAME": "ops", "SHDMC_SERVE_TOKEN_FILE": filepath.Join(dir, "missing")}, leakMarker + "-config-token  ", ""},
		{"the config's username wins", withUser, map[string]string{"SHDMC_SERVE_TOKEN": leakMarker + "-token"},
			" cfg " + leakMarker + "-config-password", ""},
		{"username without password", loopback, map[string]string{"SHDMC_SERVE_USERNAME": "ops"}, "",
			"x.yaml: serve.password: SHDMC_SERVE_USERNAME and SHDMC_SERVE_PASSWORD must be set together"},
		{"password without username", loopback, map[string]string{"SHDMC_SERVE_PASSWORD": leakMarker + "-password"}, "",
			"x.yaml: serve.password: SHDMC_SERVE_USERNAME and SHDMC_SERVE_PASSWORD must be set together"},
		{"unreadable token file", loopback, map[string]string{"SHDMC_SERVE_TOKEN_FILE": filepath.Join(dir, "missing")}, "",
			"x.yaml: serve.token: from SHDMC_SERVE_TOKEN_FILE: cannot read the secret: open " + filepath.Join(dir, "missing") + ": no such file or directory"},
		{"unreadable password file", loopback, map[string]string{"SHDMC_SERVE_USERNAME": "ops", "SHDMC_SERVE_PASSWORD_FILE": filepath.Join(dir, "missing")}, "",
			"x.yaml: serve.password: from SHDMC_SERVE_PASSWORD_FILE: cannot read the secret: open " + filepath.Join(dir, "missing") + ": no such file or directory"},
		{"beyond loopback with a token", everywhere, map[string]string{"SHDMC_SERVE_TOKEN": leakMarker + "-token"}, leakMarker + "-token  ", ""},
		{"beyond loopback without", everywhere, nil, "",
			"x.yaml:2: serve.addr: 0.0.0.0:8080 is reachable beyond this machine: set serve.token (or token_file) or serve.username and password first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(tt.yaml), "x.yaml", testEnv(tt.env), channels.Default())
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got error\n%v\nwant\n%s", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), leakMarker) {
					t.Errorf("the error shows a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sv := cfg.Serve
			if got := sv.Token.Reveal() + " " + sv.Username + " " + sv.Password.Reveal(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDefaultsAndHelpers(t *testing.T) {
	cfg, err := config.Parse(nil, "", nil, channels.Default())
	if err != nil {
		t.Fatalf("empty config: %v", err)
	}
	if diff := cmp.Diff(config.Default(), cfg, cmpopts.IgnoreUnexported(config.Config{})); diff != "" {
		t.Errorf("empty config differs from Default() (-want +got):\n%s", diff)
	}
	if err := config.Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
	full, err := parseFile(t, "testdata/good/full.yaml", testEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"default store", cfg.Store, "sqlite://shdmc.db"},
		{"default interval", cfg.Interval.Std(), 5 * time.Minute},
		{"default location is UTC", cfg.Location() == time.UTC, true},
		{"location", full.Location().String(), "Asia/Tokyo"},
		{"channel location", full.Channels[1].Location(full.Location()).String(), "Europe/Berlin"},
		{"channel fallback", full.Channels[0].Location(full.Location()).String(), "Asia/Tokyo"},
		{"tenant interval", full.IntervalFor(&full.Tenants[0]), time.Minute},
		{"global interval", full.IntervalFor(&full.Tenants[1]), 2 * time.Minute},
		{"gcc is global", full.Tenants[0].Cloud, config.CloudGlobal},
		{"usgovl4", endpoints(&full.Tenants[1]), "https://graph.microsoft.us https://login.microsoftonline.us"},
		{"usgovl5", endpoints(&full.Tenants[2]), "https://dod-graph.microsoft.us https://login.microsoftonline.us"},
		{"china", endpoints(&full.Tenants[3]), "https://microsoftgraph.chinacloudapi.cn https://login.chinacloudapi.cn"},
		{"override", endpoints(&full.Tenants[4]), "http://127.0.0.1:8081 https://login.example.com/"},
		{"inferred secret auth", full.Tenants[0].Auth, config.AuthClientSecret},
		{"inferred cert auth", full.Tenants[1].Auth, config.AuthCertificate},
		{"resolved cert path", full.Tenants[1].CertificateFile, filepath.Join("testdata", "certs", "client.pfx")},
		{"messages off", config.Enabled(full.Tenants[0].Sources.Messages), false},
		{"issues default on", config.Enabled(full.Tenants[0].Sources.Issues), true},
		{"display name", full.Tenants[1].DisplayName(), "fabrikam_gov"},
		{"file default format", full.Channels[1].Settings.(*file.Settings).Format, "json"},
		{"duration string", config.Duration(90 * time.Minute).String(), "1h30m"},
		{"duration seconds", config.Duration(90 * time.Second).String(), "1m30s"},
		{"duration json round trip", jsonRoundTrip(t, config.Duration(2*time.Hour)), config.Duration(2 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorsAs(t *testing.T) {
	_, err := parseFile(t, "testdata/bad/unknown_key.yaml", testEnv(nil))
	var p *config.Errors
	if !errors.As(err, &p) || len(*p) != 4 {
		t.Fatalf("errors.As(*Errors) on %v", err)
	}
	var one config.Error
	if !errors.As(err, &one) || one.Line != 1 || one.Key != "intervall" {
		t.Errorf("errors.As(Error) = %+v", one)
	}
	e := (*p)[1]
	want := config.Error{File: "testdata/bad/unknown_key.yaml", Line: 6, Column: 5, Key: "tenants[0].client_secrt", Msg: "unknown key (did you mean client_secret?)"}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestValidateBuiltInCode(t *testing.T) {
	cfg := config.Default()
	cfg.Tenants = []config.Tenant{{ID: "x", TenantID: "x.onmicrosoft.com", ClientID: "11111111-2222-3333-4444-555555555555", Auth: config.AuthClientSecret}}
	err := cfg.Validate()
	want := "tenants[0].client_secret: auth client_secret needs client_secret or client_secret_file"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	cfg.Tenants[0].ClientSecret = "s"
	if err := cfg.Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "nope.yaml"), channels.Default())
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "load config: ") {
		t.Errorf("got %v", err)
	}
}

func reflectTypeOf(v any) reflect.Type { return reflect.TypeOf(v) }

func endpoints(t *config.Tenant) string {
	g, a := t.Endpoints()
	return g + " " + a
}

func jsonRoundTrip(t *testing.T, d config.Duration) config.Duration {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var got config.Duration
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	return got
}
