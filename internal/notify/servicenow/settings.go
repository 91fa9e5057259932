package servicenow

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/internal/wire"
)

// Defaults of the settings.
const (
	DefaultCommentField = "work_notes"
	DefaultCloseCode    = "Solution provided"
)

// Settings are the keys of a servicenow channel entry.
type Settings struct {
	// Instance is the instance's URL, e.g. https://contoso.service-now.com.
	Instance string `yaml:"instance"`
	// Username is the integration user (with the itil role, or write
	// access to incident through ACLs).
	Username string `yaml:"username"`
	// Password is the user's password. It is a secret: use ${NAME} or
	// password_file.
	Password config.Secret `yaml:"password"`
	// PasswordFile is a file holding Password.
	PasswordFile string `yaml:"password_file"`
	// Fields are set on every incident opened, as "name=value" (column
	// names of the incident table: assignment_group=<sys_id>,
	// category=software, impact=2, urgency=2, caller_id=<sys_id>, …).
	Fields []string `yaml:"fields"`
	// CommentField is the journal field updates are written to:
	// work_notes (default, internal) or comments (visible to the caller).
	CommentField string `yaml:"comment_field"`
	// CloseCode is the resolution code set when an incident is resolved
	// (default "Solution provided"; it must be one of the instance's
	// close_code choices).
	CloseCode string `yaml:"close_code"`
}

var _ config.ChannelSettings = (*Settings)(nil)

// fieldName is a column name of a ServiceNow table.
var fieldName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// reserved are the fields the channel sets itself.
var reserved = map[string]bool{
	"short_description": true, "description": true, "correlation_id": true, "correlation_display": true,
	"state": true, "close_code": true, "close_notes": true, "work_notes": true, "comments": true, "sys_id": true,
}

// Validate checks the instance, the credentials and the fields.
func (s *Settings) Validate() error {
	errs := wire.CheckBaseURL("instance", s.Instance, "https://contoso.service-now.com")
	if s.Username == "" {
		errs = append(errs, config.FieldError{Key: "username", Msg: "is required: the integration user"})
	}
	if s.Password.Reveal() == "" {
		errs = append(errs, config.FieldError{Key: "password", Related: []string{"password", "password_file"},
			Msg: "a servicenow channel needs password (or password_file)"})
	}
	for i, f := range s.Fields {
		name, _, ok := strings.Cut(f, "=")
		switch {
		case !ok || !fieldName.MatchString(name):
			errs = append(errs, config.FieldError{Key: fmt.Sprintf("fields[%d]", i), Msg: "want name=value with a column name such as assignment_group"})
		case reserved[name]:
			errs = append(errs, config.FieldError{Key: fmt.Sprintf("fields[%d]", i), Msg: name + " is set by shdmc"})
		}
	}
	if s.CommentField != "" && s.CommentField != "work_notes" && s.CommentField != "comments" {
		errs = append(errs, config.FieldError{Key: "comment_field", Msg: fmt.Sprintf("%q: want work_notes or comments", s.CommentField)})
	}
	return errs.Err()
}

// Type is the servicenow channel type, for the channel registry.
func Type() notify.ChannelType {
	return notify.ChannelType{
		Name: "servicenow",
		NewSettings: func() config.ChannelSettings {
			return &Settings{CommentField: DefaultCommentField, CloseCode: DefaultCloseCode}
		},
		New: func(ch config.Channel, env notify.Env) (notify.Notifier, error) {
			s, err := notify.SettingsOf[*Settings](ch)
			if err != nil {
				return nil, err
			}
			return New(Config{Instance: s.Instance, Username: s.Username, Password: s.Password.Reveal(), Fields: s.Fields,
				CommentField: s.CommentField, CloseCode: s.CloseCode, Timeout: time.Duration(ch.Timeout)}, env.HTTP, env.Threads, env.Now)
		},
	}
}
