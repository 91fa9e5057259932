package sim

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

func selfSigned(t *testing.T) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "shdmc test app"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return append(out, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})...)
}

func TestAzidentity(t *testing.T) {
	f := start(t, Options{WallClock: time.Now})
	if err := f.s.LoadScenario(GenerateScenario(f.clock.Now(), 3, 0)); err != nil {
		t.Fatal(err)
	}
	certPEM := selfSigned(t)
	const certTenant = "contoso.onmicrosoft.com"
	f.s.AddTenant(Tenant{ID: certTenant, ClientID: tClient, CertificatePEM: certPEM})
	co := azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: f.s.URL(), Services: map[cloud.ServiceName]cloud.ServiceConfiguration{}},
		Transport: f.c,
		Retry:     policy.RetryOptions{MaxRetries: -1},
	}
	certs, key, err := azidentity.ParseCertificates(certPEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := azidentity.NewClientSecretCredential(tTenant, tClient, tSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	wrong, _ := azidentity.NewClientSecretCredential(tTenant, tClient, "wrong-secret",
		&azidentity.ClientSecretCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: true})
	cert, err := azidentity.NewClientCertificateCredential(certTenant, tClient, certs, key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	otherCerts, otherKey, _ := azidentity.ParseCertificates(selfSigned(t), nil)
	badCert, _ := azidentity.NewClientCertificateCredential(certTenant, tClient, otherCerts, otherKey,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: true})
	tests := []struct {
		name    string
		cred    azcore.TokenCredential
		wantErr string
	}{
		{"client secret", secret, ""},
		{"certificate", cert, ""},
		{"wrong secret", wrong, "AADSTS7000215"},
		{"wrong certificate", badCert, "AADSTS700027"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			tok, err := tt.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{f.s.URL() + "/.default"}})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if time.Until(tok.ExpiresOn) < 50*time.Minute {
				t.Errorf("expires %v", tok.ExpiresOn)
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.s.URL()+"/v1.0/admin/serviceAnnouncement/issues", nil)
			req.Header.Set("Authorization", "Bearer "+tok.Token)
			resp, err := f.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var p listPage
			if err := decodeBody(resp, &p); err != nil || resp.StatusCode != 200 || len(p.Value) != 3 {
				t.Errorf("list issues: %d %v %d", resp.StatusCode, err, len(p.Value))
			}
			// A second GetToken is served from azidentity's cache.
			n := len(f.s.Requests())
			if _, err := tt.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{f.s.URL() + "/.default"}}); err != nil {
				t.Fatal(err)
			}
			if m := len(f.s.Requests()); m != n {
				t.Errorf("cached token refetched: %d requests, want %d", m, n)
			}
		})
	}
}
