package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// expandEnv replaces ${NAME} with the value of the environment variable
// NAME; "$${" stands for a literal "${". The value itself is never part of
// an error, as it may be a secret.
func expandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1] + "${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", errors.New("unterminated ${ (write $${ for a literal ${)")
		}
		name := s[i+2 : i+end]
		if !envNameRE.MatchString(name) {
			return "", fmt.Errorf("invalid environment variable name %q in ${…}", name)
		}
		val, ok := lookup(name)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", name)
		}
		b.WriteString(val)
		s = s[i+end+1:]
	}
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// envOverlay lists the environment variables that replace top-level keys.
func envOverlay() []struct{ env, key string } {
	return []struct{ env, key string }{
		{"SHDMC_STORE", "store"},
		{"SHDMC_INTERVAL", "interval"},
		{"SHDMC_TIME_ZONE", "time_zone"},
		{"SHDMC_LOG_LEVEL", "log.level"},
	}
}

// overlay applies the SHDMC_* environment variables.
func (d *decoder) overlay(cfg *Config) {
	for _, o := range envOverlay() {
		val, ok := d.env(o.env)
		if !ok || val == "" {
			continue
		}
		d.pos[o.key] = position{env: o.env}
		switch o.key {
		case "store":
			cfg.Store = val
		case "interval":
			dur, err := parseDuration(val)
			if err != nil {
				d.errs = append(d.errs, Error{File: d.file, Key: o.key, Msg: fmt.Sprintf("from %s: %v", o.env, err)})
				d.failed[o.key] = true
				continue
			}
			cfg.Interval = Duration(dur)
		case "time_zone":
			cfg.TimeZone = val
		case "log.level":
			cfg.Log.Level = val
		}
	}
}

// overlayServe applies the dashboard's credentials from the environment
// when the config sets neither serve.token (or token_file) nor
// serve.username: SHDMC_SERVE_TOKEN, SHDMC_SERVE_USERNAME and
// SHDMC_SERVE_PASSWORD, where SHDMC_SERVE_TOKEN_FILE and
// SHDMC_SERVE_PASSWORD_FILE, when set, name a file holding the value
// (relative to the working directory, surrounding white space trimmed).
// It runs after resolve, so that the config's secret files are read.
func (d *decoder) overlayServe(sv *Serve) {
	if sv.Token != "" || sv.TokenFile != "" || sv.Username != "" {
		return // the config wins
	}
	token, tokenFrom, ok := d.envSecret("SHDMC_SERVE_TOKEN", "serve.token")
	if !ok {
		return
	}
	username, _ := d.env("SHDMC_SERVE_USERNAME")
	password, passwordFrom, ok := d.envSecret("SHDMC_SERVE_PASSWORD", "serve.password")
	if !ok {
		return
	}
	if (username == "") != (password == "") {
		d.errs = append(d.errs, Error{File: d.file, Key: "serve.password",
			Msg: "SHDMC_SERVE_USERNAME and SHDMC_SERVE_PASSWORD must be set together"})
		d.failed["serve.password"] = true
		return
	}
	if token != "" {
		sv.Token, d.pos["serve.token"] = token, position{env: tokenFrom}
	}
	if username != "" {
		sv.Username, d.pos["serve.username"] = username, position{env: "SHDMC_SERVE_USERNAME"}
		sv.Password, d.pos["serve.password"] = password, position{env: passwordFrom}
	}
}
