package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/shdmc/shdmc/internal/netsafe"
)

// AuthKind selects how the client signs in to Microsoft Entra ID.
type AuthKind string

// The supported sign-in methods.
const (
	// AuthClientSecret is an app registration's client secret.
	AuthClientSecret AuthKind = "client_secret"
	// AuthCertificate is an app registration's certificate (PEM with key, or PFX).
	AuthCertificate AuthKind = "certificate"
	// AuthManagedIdentity is an Azure managed identity (system- or user-assigned).
	AuthManagedIdentity AuthKind = "managed_identity"
	// AuthWorkloadIdentity is Kubernetes workload identity federation
	// (AZURE_FEDERATED_TOKEN_FILE).
	AuthWorkloadIdentity AuthKind = "workload_identity"
)

// tokenSource hands out access tokens for one scope. When it built the
// credential itself it can build a new one, which bypasses azidentity's token
// cache after Graph rejected a cached token.
type tokenSource struct {
	scope   string
	secrets []string
	build   func() (azcore.TokenCredential, error) // nil for a caller's credential

	mu   sync.Mutex
	cred azcore.TokenCredential
}

// token returns an access token; fresh asks for one that is not from the
// cache. Failures are *AuthError.
func (s *tokenSource) token(ctx context.Context, fresh bool) (string, error) {
	s.mu.Lock()
	if fresh && s.build != nil {
		c, err := s.build()
		if err != nil {
			s.mu.Unlock()
			return "", newAuthError(ctx, fmt.Errorf("rebuild credential: %w", err), s.secrets...)
		}
		s.cred = c
	}
	cred := s.cred
	s.mu.Unlock()
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{s.scope}})
	if err != nil {
		return "", newAuthError(ctx, err, s.secrets...)
	}
	if tok.Token == "" {
		return "", newAuthError(ctx, errors.New("token endpoint returned an empty access token"), s.secrets...)
	}
	return tok.Token, nil
}

// credentialFactory checks cfg and returns a function that builds a fresh
// azidentity credential for it. The credential talks through hc, which
// follows no redirect (so a client secret or assertion is never re-sent
// elsewhere), and reads no answer over MaxTokenResponseBytes.
func credentialFactory(cfg *Config, authority string, hc *http.Client) (func() (azcore.TokenCredential, error), error) {
	opts := azcore.ClientOptions{
		Cloud: cloud.Configuration{
			ActiveDirectoryAuthorityHost: authority + "/",
			Services:                     map[cloud.ServiceName]cloud.ServiceConfiguration{},
		},
		Transport: &limitTransport{hc: hc, max: MaxTokenResponseBytes},
	}
	noDiscovery := !publicAuthority(authority)
	kind := cfg.Auth
	if kind == "" {
		kind = AuthClientSecret
	}
	if kind == AuthClientSecret || kind == AuthCertificate {
		if err := checkTenantID(cfg.TenantID); err != nil {
			return nil, err
		}
		if cfg.ClientID == "" {
			return nil, errors.New("client id is empty")
		}
	}
	switch kind {
	case AuthClientSecret:
		if cfg.ClientSecret == "" {
			return nil, errors.New("client secret is empty")
		}
		return func() (azcore.TokenCredential, error) {
			return azidentity.NewClientSecretCredential(cfg.TenantID, cfg.ClientID, cfg.ClientSecret,
				&azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: noDiscovery})
		}, nil
	case AuthCertificate:
		if len(cfg.CertificatePEMOrPFX) == 0 {
			return nil, errors.New("certificate is empty")
		}
		var pw []byte
		if cfg.CertificatePassword != "" {
			pw = []byte(cfg.CertificatePassword)
		}
		certs, key, err := azidentity.ParseCertificates(cfg.CertificatePEMOrPFX, pw)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %s", netsafe.Secrets(err.Error(), cfg.CertificatePassword))
		}
		return func() (azcore.TokenCredential, error) {
			return azidentity.NewClientCertificateCredential(cfg.TenantID, cfg.ClientID, certs, key,
				&azidentity.ClientCertificateCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: noDiscovery})
		}, nil
	case AuthManagedIdentity:
		mo := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts}
		if cfg.ManagedIdentityClientID != "" {
			mo.ID = azidentity.ClientID(cfg.ManagedIdentityClientID)
		}
		return func() (azcore.TokenCredential, error) { return azidentity.NewManagedIdentityCredential(mo) }, nil
	case AuthWorkloadIdentity:
		if cfg.TenantID != "" {
			if err := checkTenantID(cfg.TenantID); err != nil {
				return nil, err
			}
		}
		return func() (azcore.TokenCredential, error) {
			return azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
				ClientOptions: opts, ClientID: cfg.ClientID, TenantID: cfg.TenantID, DisableInstanceDiscovery: noDiscovery,
			})
		}, nil
	}
	return nil, fmt.Errorf("unknown auth kind %q (want client_secret, certificate, managed_identity or workload_identity)", cfg.Auth)
}

// checkTenantID applies azidentity's rule: letters, digits, '.' and '-'.
func checkTenantID(id string) error {
	if id == "" {
		return errors.New("tenant id is empty")
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return fmt.Errorf("tenant id %q: only letters, digits, '.' and '-' are allowed", id)
		}
	}
	return nil
}
