package graph

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// entra is a minimal token authority as described in
// shared/reference/entra-token-endpoint.md, plus a Graph issues endpoint
// that accepts only the tokens in good.
type entra struct {
	t      *testing.T
	url    string
	secret string

	mu         sync.Mutex
	discovery  int
	tokenCalls int
	scopes     []string
	good       map[string]bool
}

func (e *entra) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/tenant-1/v2.0/.well-known/openid-configuration":
		e.discovery++
		json.NewEncoder(w).Encode(map[string]string{
			"authorization_endpoint": e.url + "/tenant-1/oauth2/v2.0/authorize",
			"token_endpoint":         e.url + "/tenant-1/oauth2/v2.0/token",
			"issuer":                 e.url + "/tenant-1/v2.0",
		})
	case r.Method == http.MethodPost && r.URL.Path == "/tenant-1/oauth2/v2.0/token":
		if err := r.ParseForm(); err != nil {
			e.t.Error(err)
		}
		e.tokenCalls++
		e.scopes = append(e.scopes, r.PostForm.Get("scope"))
		if r.PostForm.Get("client_id") != "client-1" || r.PostForm.Get("grant_type") != "client_credentials" {
			e.t.Errorf("token form %v", r.PostForm)
		}
		if a := r.PostForm.Get("client_assertion"); a != "" {
			if r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || strings.Count(a, ".") != 2 {
				e.t.Errorf("bad certificate assertion form %v", r.PostForm)
			}
		} else if r.PostForm.Get("client_secret") != e.secret {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.","error_codes":[7000215]}`)
			return
		}
		tok := fmt.Sprintf("access-token-%d", e.tokenCalls)
		json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "expires_in": 3600, "token_type": "Bearer"})
	case r.URL.Path == base+"issues":
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !e.good[tok] {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed, the token is expired."}}`)
			return
		}
		fmt.Fprint(w, page("", "EX1"))
	default:
		e.t.Errorf("unexpected %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	}
}

func TestClientSecretCredentialEndToEnd(t *testing.T) {
	const secret = "Xy7~super.secret-value_0123456789"
	e := &entra{t: t, secret: secret, good: map[string]bool{"access-token-2": true}}
	srv, ca := tlsServer(t, e)
	e.url = srv.URL
	newClient := func(secret string) *Client {
		c, err := New(Config{
			TenantID: "tenant-1", ClientID: "client-1", Auth: AuthClientSecret, ClientSecret: secret,
			GraphRoot: srv.URL, AuthorityHost: srv.URL, CAFile: ca,
			BackoffBase: time.Millisecond, BackoffCap: time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	t.Run("token, 401, fresh token", func(t *testing.T) {
		c := newClient(secret)
		// The first token is rejected by Graph; the client must bypass
		// azidentity's cache and get a second one.
		got, err := c.Issues(ctx, time.Time{})
		if err != nil || len(got) != 1 {
			t.Fatalf("got %v, %v", got, err)
		}
		// The second call reuses the cached token.
		if _, err := c.Issues(ctx, time.Time{}); err != nil {
			t.Fatal(err)
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.tokenCalls != 2 || e.discovery != 2 {
			t.Errorf("token requests %d, discovery %d; want 2 and 2", e.tokenCalls, e.discovery)
		}
		for _, s := range e.scopes {
			if !strings.Contains(s, srv.URL+"/.default") {
				t.Errorf("scope %q lacks %s/.default", s, srv.URL)
			}
		}
	})

	t.Run("invalid secret", func(t *testing.T) {
		const wrong = "Wrong~secret.value_9876543210"
		c := newClient(wrong)
		_, err := c.Issues(ctx, time.Time{})
		var authErr *AuthError
		if !errors.As(err, &authErr) || authErr.Code != "AADSTS7000215" {
			t.Fatalf("err = %v, want an AuthError with AADSTS7000215", err)
		}
		for _, s := range []string{wrong, secret} {
			if strings.Contains(err.Error(), s) || strings.Contains(fmt.Sprintf("%+v %#v", err, err), s) {
				t.Errorf("error contains the secret: %v", err)
			}
		}
	})
}

func TestClientCertificateCredential(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "shdmc-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pemData := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})...)
	e := &entra{t: t, good: map[string]bool{"access-token-1": true}}
	srv, ca := tlsServer(t, e)
	e.url = srv.URL
	c, err := New(Config{
		TenantID: "tenant-1", ClientID: "client-1", Auth: AuthCertificate, CertificatePEMOrPFX: pemData,
		GraphRoot: srv.URL, AuthorityHost: srv.URL, CAFile: ca,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if got, err := c.Issues(ctx, time.Time{}); err != nil || len(got) != 1 {
		t.Fatalf("got %v, %v", got, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tokenCalls != 1 {
		t.Errorf("token requests %d, want 1", e.tokenCalls)
	}
}
