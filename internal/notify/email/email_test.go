package email_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/email"
	"github.com/shdmc/shdmc/internal/notify/internal/channeltest"
)

const (
	user     = "alerts@example.com"
	password = "pa55-WORD-secret-8231"
)

// certPool returns a server TLS config for 127.0.0.1 and a pool trusting it.
func certPool(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "shdmc test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

// message is one mail the server accepted.
type message struct {
	from, mech string
	to         []string
	data       []byte
}

// server is an in-process SMTP server (emersion/go-smtp).
type server struct {
	mu       sync.Mutex
	msgs     []message
	rcptErr  error // returned by RCPT TO
	dataErr  error // returned after DATA
	port     int
	pool     *x509.CertPool
	authMech string
}

type session struct {
	s    *server
	mech string
	msg  message
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain, sasl.Login} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	check := func(u, p string) error {
		if u != user || p != password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		ss.mech = mech
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, u, p string) error { return check(u, p) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, errors.New("unsupported mechanism")
}

// loginServer is the server side of AUTH LOGIN (go-sasl has only the client).
type loginServer struct {
	step  int
	u     string
	check func(u, p string) error
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if resp != nil {
			l.u = string(resp)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		l.u = string(resp)
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.u, string(resp))
	}
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error { ss.msg.from = from; return nil }
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.s.rcptErr != nil {
		return ss.s.rcptErr
	}
	ss.msg.to = append(ss.msg.to, to)
	return nil
}
func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.s.dataErr != nil {
		return ss.s.dataErr
	}
	ss.msg.data, ss.msg.mech = b, ss.mech
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, ss.msg)
	ss.s.mu.Unlock()
	return nil
}
func (ss *session) Reset()        { ss.msg = message{} }
func (ss *session) Logout() error { return nil }

// startServer runs a server with STARTTLS (or implicit TLS) and AUTH.
func startServer(t *testing.T, implicit bool) *server {
	t.Helper()
	tc, pool := certPool(t)
	s := &server{pool: pool}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "localhost"
	srv.TLSConfig = tc
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	var l net.Listener
	var err error
	if implicit {
		l, err = tls.Listen("tcp", "127.0.0.1:0", tc)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	s.port = l.Addr().(*net.TCPAddr).Port
	return s
}

func config(s *server, mode, auth string) email.Config {
	return email.Config{Host: "127.0.0.1", Port: s.port, TLS: mode, Username: user, Password: password, Auth: auth,
		From: "shdmc <shdmc@example.com>", To: []string{"ops@example.com"}, Cc: []string{"運用チーム <team@example.jp>"},
		Timeout: 5 * time.Second, RootCAs: s.pool, HeloName: "shdmc.test"}
}

func fixedNow() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

// parsed is a received message, decoded.
type parsed struct {
	header     mail.Header
	subject    string
	text, html string
}

func parse(t *testing.T, data []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	p := parsed{header: m.Header, subject: subject}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q (%v)", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, cp, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if !strings.EqualFold(cp["charset"], "utf-8") {
			t.Errorf("part %s charset %q", ct, cp["charset"])
		}
		raw, _ := io.ReadAll(part) // multipart decodes quoted-printable itself
		if enc := part.Header.Get("Content-Transfer-Encoding"); strings.EqualFold(enc, "base64") {
			raw, err = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(raw)))
			if err != nil {
				t.Fatal(err)
			}
		}
		switch ct {
		case "text/plain":
			p.text = string(raw)
		case "text/html":
			p.html = string(raw)
		default:
			t.Errorf("unexpected part %s", ct)
		}
	}
	return p
}

func TestSendAndThread(t *testing.T) {
	tests := []struct {
		name, mode, auth, mech string
	}{
		{"starttls plain", email.TLSStartTLS, email.AuthPlain, sasl.Plain},
		{"starttls login", email.TLSStartTLS, email.AuthLogin, sasl.Login},
		{"implicit tls plain", email.TLSImplicit, "", sasl.Plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t, tt.mode == email.TLSImplicit)
			e, err := email.New(config(s, tt.mode, tt.auth), fixedNow)
			if err != nil {
				t.Fatal(err)
			}
			const jaTitle = "Exchange Online の電子メール遅延について：一部のユーザーが影響を受けています（調査中）"
			for rev := 1; rev <= 3; rev++ {
				n := channeltest.Notice(rev)
				n.Event.Issue.Title = jaTitle
				rc, err := e.Notify(context.Background(), n)
				channeltest.NoLeakResult(t, rc, err, password)
				if err != nil {
					t.Fatalf("revision %d: %v", rev, err)
				}
				if !strings.HasPrefix(rc.Status, "250 ") || !strings.HasSuffix(rc.Detail, "@shdmc>") {
					t.Errorf("receipt %+v", rc)
				}
			}
			if len(s.msgs) != 3 {
				t.Fatalf("%d messages received", len(s.msgs))
			}
			var thread string
			for i, m := range s.msgs {
				if m.mech != tt.mech || m.from != "shdmc@example.com" || strings.Join(m.to, ",") != "ops@example.com,team@example.jp" {
					t.Errorf("message %d: mech %q from %q to %v", i, m.mech, m.from, m.to)
				}
				for _, line := range strings.Split(string(m.data), "\r\n") {
					if len(line) > 998 {
						t.Errorf("message %d: line of %d octets", i, len(line))
					}
					for _, c := range []byte(line) {
						if c >= 0x80 {
							t.Fatalf("message %d: 8-bit data on the wire: %q", i, line)
						}
					}
				}
				p := parse(t, m.data)
				if !strings.Contains(p.subject, jaTitle) || !strings.Contains(p.subject, "EX559755") {
					t.Errorf("message %d: decoded subject %q lacks the Japanese title", i, p.subject)
				}
				if !strings.Contains(p.header.Get("Subject"), "=?UTF-8?") && !strings.Contains(p.header.Get("Subject"), "=?utf-8?") {
					t.Errorf("message %d: subject not RFC 2047 encoded: %q", i, p.header.Get("Subject"))
				}
				// The subject carries the title; the text part is the notice body.
				if !strings.Contains(p.text, "EX559755") || !strings.Contains(p.text, "We're investigating.") || strings.Contains(p.text, "<script") {
					t.Errorf("message %d: text part %q", i, p.text)
				}
				if !strings.Contains(p.html, "<html") || !strings.Contains(p.html, jaTitle) || strings.Contains(strings.ToLower(p.html), "<script") {
					t.Errorf("message %d: html part lacks the title or has a script:\n%s", i, p.html)
				}
				if got := p.header.Get("X-Shdmc-Key"); got != "contoso/shd/EX559755/"+strconv.Itoa(i+1)+"/default/ch" {
					t.Errorf("message %d: key %q", i, got)
				}
				if d, err := p.header.Date(); err != nil || !d.Equal(fixedNow()) {
					t.Errorf("message %d: date %v, %v", i, d, err)
				}
				cc, err := p.header.AddressList("Cc")
				if err != nil || len(cc) != 1 || cc[0].Name != "運用チーム" {
					t.Errorf("message %d: cc %v, %v", i, cc, err)
				}
				id := p.header.Get("Message-Id")
				if i == 0 {
					thread = id
					if !strings.HasSuffix(id, ".thread@shdmc>") || p.header.Get("In-Reply-To") != "" || p.header.Get("References") != "" {
						t.Errorf("first message: id %q in-reply-to %q references %q", id, p.header.Get("In-Reply-To"), p.header.Get("References"))
					}
					continue
				}
				if want := strings.Replace(thread, ".thread@", "."+strconv.Itoa(i+1)+"@", 1); id != want {
					t.Errorf("message %d: id %q, want %q", i, id, want)
				}
				if p.header.Get("In-Reply-To") != thread || p.header.Get("References") != thread {
					t.Errorf("message %d: in-reply-to %q references %q, want %q", i, p.header.Get("In-Reply-To"), p.header.Get("References"), thread)
				}
			}
		})
	}
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(s *server, c *email.Config)
		refused   bool
		silent    bool
		permanent bool
		contains  string
	}{
		{name: "wrong password", setup: func(s *server, c *email.Config) { c.Password = "wrong-" + password },
			permanent: true, contains: `authentication as "alerts@example.com" failed`},
		{name: "451 at RCPT is retryable", setup: func(s *server, c *email.Config) {
			s.rcptErr = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary local problem"}
		}, contains: "451"},
		{name: "452 after DATA is retryable", setup: func(s *server, c *email.Config) {
			s.dataErr = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "Insufficient storage"}
		}, contains: "452"},
		{name: "550 is permanent", setup: func(s *server, c *email.Config) {
			s.rcptErr = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Mailbox unavailable"}
		}, permanent: true, contains: "550"},
		{name: "554 after DATA is permanent", setup: func(s *server, c *email.Config) {
			s.dataErr = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Message rejected as spam"}
		}, permanent: true, contains: "554"},
		{name: "untrusted certificate", setup: func(s *server, c *email.Config) { c.RootCAs = x509.NewCertPool() },
			permanent: true, contains: "certificate"},
		{name: "connection refused", refused: true, contains: "refused"},
		{name: "server never answers", silent: true, contains: "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c email.Config
			switch {
			case tt.refused || tt.silent:
				addr := channeltest.RefusedAddr(t)
				if tt.silent {
					l, err := net.Listen("tcp", "127.0.0.1:0")
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { l.Close() })
					go func() { // accept and say nothing
						for range 10 {
							conn, err := l.Accept()
							if err != nil {
								return
							}
							t.Cleanup(func() { conn.Close() })
						}
					}()
					addr = l.Addr().String()
				}
				_, port, _ := net.SplitHostPort(addr)
				p, _ := strconv.Atoi(port)
				c = config(&server{port: p}, email.TLSStartTLS, "")
				c.Timeout = 300 * time.Millisecond
			default:
				s := startServer(t, false)
				c = config(s, email.TLSStartTLS, "")
				tt.setup(s, &c)
			}
			e, err := email.New(c, fixedNow)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			rc, err := e.Notify(context.Background(), channeltest.Notice(2))
			if el := time.Since(start); el > 3*time.Second {
				t.Errorf("notify took %s", el)
			}
			channeltest.NoLeakResult(t, rc, err, password, "wrong-"+password)
			if err == nil {
				t.Fatalf("no error; receipt %+v", rc)
			}
			if !strings.Contains(err.Error(), tt.contains) || !strings.Contains(err.Error(), "127.0.0.1:") {
				t.Errorf("error %q lacks %q or the server address", err, tt.contains)
			}
			if got := notify.IsPermanent(err); got != tt.permanent {
				t.Errorf("permanent = %v, want %v (%v)", got, tt.permanent, err)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	good := email.Config{Host: "smtp.example.com", From: "a@example.com", To: []string{"b@example.com"}}
	tests := []struct {
		name string
		edit func(c *email.Config)
		want string
	}{
		{"no host", func(c *email.Config) { c.Host = "" }, "host is required"},
		{"plain smtp off loopback", func(c *email.Config) { c.TLS = "none" }, "only for a loopback host"},
		{"bad tls", func(c *email.Config) { c.TLS = "ssl" }, `tls "ssl"`},
		{"bad auth", func(c *email.Config) { c.Auth = "cram-md5"; c.Username = "u"; c.Password = password }, `auth "cram-md5"`},
		{"auth without password", func(c *email.Config) { c.Auth = "login"; c.Username = "u" }, "needs a username and a password"},
		{"bad from", func(c *email.Config) { c.From = "not an address" }, "from"},
		{"no to", func(c *email.Config) { c.To = nil }, "at least one to address"},
		{"bad cc", func(c *email.Config) { c.Cc = []string{"x@"} }, "recipient"},
		{"port", func(c *email.Config) { c.Port = 70000 }, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.edit(&c)
			_, err := email.New(c, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			channeltest.NoLeak(t, "error", err.Error(), password)
		})
	}
	c := good
	c.TLS, c.Host = "none", "127.0.0.1"
	if _, err := email.New(c, nil); err != nil {
		t.Errorf("plain SMTP on loopback: %v", err)
	}
}

func TestMessageIDs(t *testing.T) {
	first, reply := email.MessageID(channeltest.Event(1))
	if reply || first != email.ThreadID(channeltest.Event(1)) {
		t.Errorf("revision 1: %q reply %v", first, reply)
	}
	other := channeltest.Event(1)
	other.Tenant = "fabrikam"
	if email.ThreadID(other) == first {
		t.Error("two tenants share a thread")
	}
	// An update seen first at revision 1 (not a new item) still threads.
	upd := channeltest.Event(1)
	upd.Type = "issue.status"
	if id, reply := email.MessageID(upd); !reply || id == first {
		t.Errorf("status event at revision 1: %q reply %v", id, reply)
	}
}
