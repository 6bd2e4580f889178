// This file owns the server's webhooks: the endpoints of -webhook and their
// secrets, the deliverer that runs beside the API, and the KYC providers
// whose notifications the API accepts.

package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/httpapi"
	"github.com/onboardkit/onboardkit/kyc/provider"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/webhook"
)

// webhookConfig is the webhook part of the command line.
type webhookConfig struct {
	urls, secrets []string
	// sumsubSecret and onfidoToken are the secrets of the providers whose
	// notifications the API accepts.
	sumsubSecret, onfidoToken string
	// The flags of the secrets, resolved into the fields above.
	secretFlags, sumsubFlag, onfidoFlag secret
}

func (w *webhookConfig) register(fs *flag.FlagSet) {
	fs.Func("webhook", "POST every event to this URL, signed as Standard Webhooks say (repeatable; give each its -webhook-secret in the same order, or one is made and printed at start)", func(s string) error {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return errors.New("want an absolute http(s) URL")
		}
		w.urls = append(w.urls, s)
		return nil
	})
	w.secretFlags = secret{name: "webhook-secret", argvFlag: true, repeatable: true}
	w.secretFlags.register(fs, "the whsec_… secret of the -webhook of the same position (repeatable)")
	w.sumsubFlag = secret{name: "sumsub-secret", argvFlag: true}
	w.sumsubFlag.register(fs, "the Sumsub webhook secret: accept Sumsub notifications at POST /v1/providers/sumsub/webhook")
	w.onfidoFlag = secret{name: "onfido-webhook-token", argvFlag: true}
	w.onfidoFlag.register(fs, "the Onfido webhook token: accept Onfido notifications at POST /v1/providers/onfido/webhook")
}

// resolve reads the secrets of the flags (see secret).
func (w *webhookConfig) resolve(src source, warn func(string)) error {
	var err error
	if w.secrets, err = w.secretFlags.resolve(src, warn); err != nil {
		return err
	}
	if w.sumsubSecret, err = w.sumsubFlag.one(src, warn); err != nil {
		return err
	}
	w.onfidoToken, err = w.onfidoFlag.one(src, warn)
	return err
}

// providers returns the KYC provider adapters of the flags.
func (w *webhookConfig) providers(stderr io.Writer) ([]provider.Adapter, error) {
	var out []provider.Adapter
	if w.sumsubSecret != "" {
		s, err := provider.NewSumsub(w.sumsubSecret)
		if err != nil {
			return nil, fmt.Errorf("-sumsub-secret: %w", err)
		}
		out = append(out, s)
	}
	if w.onfidoToken != "" {
		o, err := provider.NewOnfido(w.onfidoToken)
		if err != nil {
			return nil, fmt.Errorf("-onfido-webhook-token: %w", err)
		}
		out = append(out, o)
	}
	for _, p := range out {
		fmt.Fprintf(stderr, "KYC provider %s: notifications accepted at POST /v1/providers/%s/webhook\n", p.Name(), p.Name())
	}
	return out, nil
}

// endpoints returns the endpoints of the flags. An endpoint's id derives
// from its URL, so it stays the same across restarts; a missing secret is
// made and printed.
func (w *webhookConfig) endpoints(stderr io.Writer) ([]webhook.Endpoint, error) {
	if len(w.secrets) > len(w.urls) {
		return nil, errors.New("more -webhook-secret than -webhook")
	}
	var out []webhook.Endpoint
	for i, u := range w.urls {
		sum := sha256.Sum256([]byte(u))
		e := webhook.Endpoint{ID: "ep-" + hex.EncodeToString(sum[:6]), URL: u}
		if i < len(w.secrets) {
			e.Secret = w.secrets[i]
		} else {
			s, err := webhook.NewSecret(rand.Reader)
			if err != nil {
				return nil, err
			}
			e.Secret = s
			fmt.Fprintf(stderr, "webhook %s: no -webhook-secret; this run signs with %s\n", u, s)
		}
		out = append(out, e)
	}
	return out, nil
}

// startDeliverer runs a webhook deliverer on st until ctx ends, when
// endpoints are configured, and returns it (nil without endpoints).
func startDeliverer(ctx context.Context, w *webhookConfig, st storage.Outbox, stderr io.Writer) (*webhook.Deliverer, error) {
	if len(w.urls) == 0 {
		return nil, nil
	}
	eps, err := w.endpoints(stderr)
	if err != nil {
		return nil, err
	}
	d, err := webhook.New(st, webhook.Config{Endpoints: eps}, onboardkit.Runtime{})
	if err != nil {
		return nil, err
	}
	for _, e := range eps {
		fmt.Fprintf(stderr, "webhook: events go to %s (endpoint %s)\n", e.URL, e.ID)
	}
	go func() {
		if err := d.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "webhook deliverer stopped:", err)
		}
	}()
	return d, nil
}

// webhooks is d as the handler's Webhooks (nil, not a nil pointer, when
// no deliverer runs).
func webhooks(d *webhook.Deliverer) httpapi.Webhooks {
	if d == nil {
		return nil
	}
	return d
}
