package serve

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// csrfCookie holds a browser's CSRF session: a random value the server
// sets with the first page that has a form. The cookie is HttpOnly and
// SameSite=Strict, so no other site's page can send it, nor any script
// read it.
const csrfCookie = "shdmc_csrf"

// csrfField is the form field that carries the page's token.
const csrfField = "csrf"

// csrf makes and checks the tokens of the dashboard's forms, as a signed
// double submit: a form carries HMAC(key, session, user) of the session
// in the browser's cookie and the user the page was made for, so a token
// is good only with its own cookie, for its own user, on this server
// process (whose key is random: a page made before a restart must be
// loaded again). A form is taken only when its token matches its cookie
// (compared in constant time) and the browser says it comes from a page
// of this server (Origin, or Sec-Fetch-Site).
type csrf struct {
	key [32]byte
}

func newCSRF() (*csrf, error) {
	c := &csrf{}
	if _, err := rand.Read(c.key[:]); err != nil {
		return nil, fmt.Errorf("make the form key: %w", err)
	}
	return c, nil
}

// sessionOf returns the request's CSRF session, "" when it has none (or
// not one of ours: 32 random bytes, base64url).
func sessionOf(r *http.Request) string {
	ck, err := r.Cookie(csrfCookie)
	if err != nil {
		return ""
	}
	if b, err := base64.RawURLEncoding.DecodeString(ck.Value); err != nil || len(b) != 32 {
		return ""
	}
	return ck.Value
}

// session returns the request's CSRF session, setting a new one on w when
// it has none.
func (c *csrf) session(w http.ResponseWriter, r *http.Request) string {
	if s := sessionOf(r); s != "" {
		return s
	}
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	s := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: s, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")})
	return s
}

// token is the form token of a session for user.
func (c *csrf) token(session, user string) string {
	m := hmac.New(sha256.New, c.key[:])
	m.Write([]byte("shdmc form\x00" + session + "\x00" + user))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// formToken returns the token of the forms of the page answering r for
// user, setting the session cookie on w first when r has none; pages with
// forms are not to be cached.
func (c *csrf) formToken(w http.ResponseWriter, r *http.Request, user string) string {
	w.Header().Set("Cache-Control", "private, no-store")
	return c.token(c.session(w, r), user)
}

// check refuses a form that did not come from a page of this server for
// user, saying why.
func (c *csrf) check(r *http.Request, user string) error {
	if err := sameOrigin(r); err != nil {
		return err
	}
	s := sessionOf(r)
	if s == "" {
		return errors.New("the form's session cookie is missing (cookies must be allowed for this server)")
	}
	got := r.PostForm.Get(csrfField)
	if got == "" {
		return errors.New("the form carries no token")
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(c.token(s, user))) != 1 {
		return errors.New("the form's token does not match this browser's session (the page is older than the server's last start, or was made for another user)")
	}
	return nil
}

// sameOrigin checks that the browser says the request comes from a page
// of this server: Sec-Fetch-Site, when sent, must be same-origin; Origin
// must name the host the request is addressed to (Host, or the
// X-Forwarded-Host a reverse proxy sets; no page of another site can set
// either), unless it is hidden ("null") and Sec-Fetch-Site vouches for
// the page. A request that says neither is refused: every browser that
// can run the dashboard sends one of them with a POST (the pages' referrer
// policy, same-origin, lets Origin through).
func sameOrigin(r *http.Request) error {
	site := r.Header.Get("Sec-Fetch-Site")
	if site != "" && site != "same-origin" {
		return fmt.Errorf("the browser says the form came from another site (Sec-Fetch-Site: %s)", site)
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		// A browser that hides the origin (a privacy setting, or a page
		// whose referrer policy is no-referrer) still says, unforgeably,
		// that the request comes from the same origin.
		if site == "same-origin" {
			return nil
		}
		return errors.New("the browser did not say which page the form came from (no Origin header): changes are taken only from this server's pages in a browser")
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("the form came from %q, not from a page of this server", origin)
	}
	hosts := []string{r.Host}
	if fwd := r.Header.Get("X-Forwarded-Host"); fwd != "" {
		first, _, _ := strings.Cut(fwd, ",")
		hosts = append(hosts, strings.TrimSpace(first))
	}
	for _, h := range hosts {
		if h != "" && strings.EqualFold(h, u.Host) {
			return nil
		}
	}
	return fmt.Errorf("the form came from %s, not from this server (%s)", u.Host, r.Host)
}
