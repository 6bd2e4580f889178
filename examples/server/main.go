// Command server runs the onboardkit HTTP API (package httpapi) on the
// in-memory store, or on PostgreSQL with -postgres. Without -smtp-addr and
// -twilio-account-sid it is a development server: one-time codes go to a
// JSON-lines outbox file (-outbox) or to stderr, never to real phones.
//
//	go run ./examples/server -addr 127.0.0.1:8080 -outbox /tmp/outbox.jsonl
//
// Unless -demo=false it also serves a demo web app at / that walks the
// journey in a browser (demo.go), and, while the codes go to the outbox,
// GET /dev/codes?to=… with the last code sent (devcodes.go).
//
// Every flag can also come from the environment: ONBOARDKIT_ and the flag
// name upper-cased, '-' as '_' (see envRule); secrets come from files or
// the environment (-secret-file, $ONBOARDKIT_SECRET, ...).
//
// Helper subcommands migrate the database, sign integrator calls and
// manage the keyring:
//
//	go run ./examples/server migrate -postgres DSN [-schema onboardkit]
//	go run ./examples/server keygen -out "$(mktemp -d)/integrator.pem"   # prints the 0x… public key
//	go run ./examples/server newkey -id 2026-11 >> keyring # a keyring line for -keyring-file
//	go run ./examples/server rewrap -postgres DSN -keyring-file keyring
//	go run ./examples/server sign -key integrator.pem -method POST \
//	    -path /v1/integrator/kyc-decisions -body '{"userId":"…","verificationStatus":"active"}'
//
// sign prints PUBKEY=, TIMESTAMP= and SIGNATURE= lines for a shell eval.
// See README.md for a curl walkthrough of the whole journey.
package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/httpapi"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/ratelimit"
	"github.com/onboardkit/onboardkit/ratelimit/redisrate"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
	"github.com/redis/go-redis/v9"
)

func main() {
	var err error
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "keygen":
			err = keygen(os.Args[2:], os.Stdout)
		case "sign":
			err = sign(os.Args[2:], os.Stdout)
		case "newkey":
			err = newKey(os.Args[2:], os.Stdout)
		case "rewrap":
			err = rewrap(os.Args[2:], os.Stdout)
		case "migrate":
			err = migrate(os.Args[2:], os.Stdout)
		default:
			err = serve(os.Args[1:], os.Stderr)
		}
	} else {
		err = serve(nil, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// config is the parsed command line of the server.
type config struct {
	addr, outbox, postgresDSN string
	schema                    string
	basePath                  string
	migrate                   bool
	redisURL                  string
	integratorKeys            []*ecdsa.PublicKey
	operatorKeys              []*ecdsa.PublicKey
	trustedProxies            []netip.Prefix
	autoApprove               bool
	demo                      bool
	webAuthn                  onboarding.WebAuthnConfig
	jwtKeyPath                string
	btcXpub, ethXpub, chain   string
	secret                    string
	keyringFile               string
	retention                 time.Duration
	retentionKeyringFile      string
	flow                      onboarding.Flow
	codes                     otp.Config
	hooks                     webhookConfig
	senders                   senderConfig
	janitor                   janitorConfig
}

// repeatable are the flags that take a comma-separated list from the
// environment.
var repeatable = map[string]bool{
	"integrator-key": true, "operator-key": true, "trusted-proxy": true, "webhook": true, "webhook-secret": true,
	"webauthn-origin": true,
}

// flows are the journeys of -flow.
var flows = map[string]onboarding.Flow{
	"seed":        onboarding.DefaultFlow(),
	"email-first": {SignUp: onboarding.SignUpWithEmail},
	"signup-log":  onboarding.SignUpLogFlow(),
}

// keyFlag parses a repeatable -…-key flag into keys.
func keyFlag(keys *[]*ecdsa.PublicKey) func(string) error {
	return func(s string) error {
		k, err := httpapi.ParsePublicKeyHex(s)
		if err != nil {
			return err
		}
		*keys = append(*keys, k)
		return nil
	}
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: server [flags]\n  (subcommands: migrate, keygen, sign, newkey, rewrap)\n\n%s\n\n", envRule)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&c.outbox, "outbox", "", "append every SMS and email that has no sender (-smtp-addr, -twilio-account-sid) as a JSON line to this file instead of sending it (development only); without it they are printed to stderr")
	fs.StringVar(&c.postgresDSN, "postgres", "", "PostgreSQL DSN (a password in it: prefer $ONBOARDKIT_POSTGRES); the schema is migrated at start unless -migrate=false (default: in-memory store); rate limits and used signatures are then shared through it")
	fs.StringVar(&c.basePath, "base-path", "", "serve the API under this path prefix, e.g. /auth (signatures then cover the prefixed path)")
	fs.StringVar(&c.schema, "schema", "", "keep the tables in this PostgreSQL schema, created when missing (default: the first of the connection's search_path)")
	fs.BoolVar(&c.migrate, "migrate", true, "migrate the PostgreSQL schema at start (false: the migrate subcommand does it, e.g. as a deploy step)")
	fs.StringVar(&c.redisURL, "redis", "", "Redis URL (redis://host:6379/0) keeping the rate limits and used signatures shared by every replica (default: the PostgreSQL store with -postgres, else in process)")
	fs.Func("integrator-key", "allow an integrator public key: compressed P-256 point, hex with 0x (repeatable)", keyFlag(&c.integratorKeys))
	c.hooks.register(fs)
	fs.Func("operator-key", "allow an operator public key for the /v1/operator/… routes: compressed P-256 point, hex with 0x (repeatable; not an integrator key)", keyFlag(&c.operatorKeys))
	flowName := fs.String("flow", "seed", "journey: seed (phone first, email required), email-first, or signup-log (email first, phone after the profile)")
	fs.IntVar(&c.codes.CodeLength, "code-length", otp.DefaultCodeLength, "digits of one-time codes, 4 to 10")
	fs.DurationVar(&c.codes.TTL, "code-ttl", otp.DefaultTTL, "how long a one-time code stays valid, 30s to 24h")
	fs.IntVar(&c.codes.MaxAttempts, "code-attempts", otp.DefaultMaxAttempts, "wrong answers that burn a challenge, 1 to 20")
	fs.DurationVar(&c.codes.ResendCooldown, "resend-cooldown", otp.DefaultResendCooldown, "wait before the first resend of a code (doubling after each send), 1s to 1h")
	fs.IntVar(&c.codes.MaxSends, "code-sends", otp.DefaultMaxSends, "messages one challenge may send, the first included, 1 to 20")
	fs.IntVar(&c.codes.DestinationLimit, "send-limit", otp.DefaultDestinationLimit, "messages one phone number or address may receive per -send-window, 1 to 1000 (-1: no limit)")
	fs.DurationVar(&c.codes.DestinationWindow, "send-window", otp.DefaultDestinationWindow, "the window of -send-limit, 1m to 24h")
	fs.Func("trusted-proxy", "CIDR of a reverse proxy whose X-Forwarded-For is believed (repeatable)", func(s string) error {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return err
		}
		c.trustedProxies = append(c.trustedProxies, p)
		return nil
	})
	fs.BoolVar(&c.demo, "demo", true, "serve the demo web app at / (its assets under /app/) walking the journey against this API; with the development outbox (no -smtp-addr, no -twilio-account-sid) also GET "+devCodesPath+"?to=… showing the last code sent (false: the API and /metrics only)")
	fs.StringVar(&c.webAuthn.RPID, "webauthn-rp-id", "", "passkeys: the relying party id, a domain (example.com; default on a loopback -addr: localhost, with the origin http://localhost:PORT; elsewhere passkeys are off without it)")
	fs.StringVar(&c.webAuthn.RPName, "webauthn-rp-name", "onboardkit", "passkeys: the relying party name authenticators show")
	fs.Func("webauthn-origin", "passkeys: an origin allowed to run ceremonies, https://app.example.com (repeatable; required with -webauthn-rp-id)", func(s string) error {
		c.webAuthn.Origins = append(c.webAuthn.Origins, s)
		return nil
	})
	fs.BoolVar(&c.autoApprove, "auto-approve-kyc", false, "decide KYC at once with kyc.DevReviewer (approves complete, error-free submissions)")
	fs.StringVar(&c.jwtKeyPath, "jwt-key", "", "PEM PKCS#8 Ed25519 or P-256 private key signing access tokens (default: an ephemeral key)")
	fs.StringVar(&c.btcXpub, "btc-xpub", "", "account-level extended public key (zpub/xpub) for Bitcoin deposit addresses (default: the public BIP84 test key)")
	fs.StringVar(&c.ethXpub, "eth-xpub", "", "xpub at m/44'/60'/0' for Ethereum deposit addresses (default: the public test-mnemonic key)")
	fs.StringVar(&c.chain, "portfolio-chain", portfolio.ChainBitcoin, "chain of portfolio deposit addresses: bitcoin or ethereum")
	secretFlag := secret{name: "secret", argvFlag: true}
	secretFlag.register(fs, "the server secret, 32 bytes or more (default: random per start)")
	fs.StringVar(&c.keyringFile, "keyring-file", "", "keyring sealing personal data: lines id:base64-secret, the last current (default: $"+keyringEnv+"; required with -postgres; make keys with the newkey subcommand)")
	fs.DurationVar(&c.retention, "retention", 0, "keep the KYC records of erased users this long, sealed under -retention-keyring-file (default: erase everything at once)")
	fs.StringVar(&c.retentionKeyringFile, "retention-keyring-file", "", "keyring the retained records are re-wrapped under (the compliance officers', not the service's)")
	c.senders.register(fs)
	fs.DurationVar(&c.janitor.interval, "janitor-interval", 10*time.Minute, "delete expired challenges, ended sessions, past send counters, idle login throttles and old events this often (0: never)")
	fs.DurationVar(&c.janitor.eventRetention, "event-retention", 400*24*time.Hour, "keep audit events this long, those still to deliver to a webhook excepted (0: for ever)")
	src, err := parseWithEnv(fs, args, repeatable)
	if err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	warn := warner(stderr)
	if c.secret, err = secretFlag.one(src, warn); err != nil {
		return nil, err
	}
	if err := c.hooks.resolve(src, warn); err != nil {
		return nil, err
	}
	if err := c.senders.resolve(src, c.outbox, warn); err != nil {
		return nil, err
	}
	warnPasswordInArgv(src, "postgres", c.postgresDSN, warn)
	warnPasswordInArgv(src, "redis", c.redisURL, warn)
	if c.demo {
		if err := checkDemoBasePath(c.basePath); err != nil {
			return nil, err
		}
	}
	if c.schema != "" && c.postgresDSN == "" {
		return nil, errors.New("-schema needs -postgres")
	}
	if c.janitor.interval < 0 || c.janitor.eventRetention < 0 {
		return nil, errors.New("-janitor-interval and -event-retention must not be negative")
	}
	c.janitor.sendWindow, c.janitor.batch = c.codes.DestinationWindow, janitorBatch
	if c.chain != portfolio.ChainBitcoin && c.chain != portfolio.ChainEthereum {
		return nil, fmt.Errorf("-portfolio-chain must be bitcoin or ethereum")
	}
	flow, ok := flows[*flowName]
	if !ok {
		return nil, fmt.Errorf("-flow must be seed, email-first or signup-log, not %q", *flowName)
	}
	c.flow = flow
	if err := checkCodes(c.codes); err != nil {
		return nil, err
	}
	for _, k := range c.operatorKeys {
		if slices.ContainsFunc(c.integratorKeys, func(i *ecdsa.PublicKey) bool { return i.Equal(k) }) {
			return nil, errors.New("a key is given both as -integrator-key and -operator-key; give operators keys of their own")
		}
	}
	return c, nil
}

// bounded is a flag value and its accepted range.
type bounded[T int | time.Duration] struct {
	flag     string
	v        T
	min, max T
}

// check reports the value out of its range.
func (b bounded[T]) check() error {
	if b.v < b.min || b.v > b.max {
		return fmt.Errorf("%s must be %v to %v, not %v", b.flag, b.min, b.max, b.v)
	}
	return nil
}

// checkCodes reports every one-time-code flag out of its range.
func checkCodes(o otp.Config) error {
	errs := []error{
		bounded[int]{"-code-length", o.CodeLength, 4, 10}.check(),
		bounded[int]{"-code-attempts", o.MaxAttempts, 1, 20}.check(),
		bounded[int]{"-code-sends", o.MaxSends, 1, 20}.check(),
		bounded[time.Duration]{"-code-ttl", o.TTL, 30 * time.Second, 24 * time.Hour}.check(),
		bounded[time.Duration]{"-resend-cooldown", o.ResendCooldown, time.Second, time.Hour}.check(),
		bounded[time.Duration]{"-send-window", o.DestinationWindow, time.Minute, 24 * time.Hour}.check(),
	}
	if o.DestinationLimit != -1 {
		errs = append(errs, bounded[int]{"-send-limit (or -1: no limit)", o.DestinationLimit, 1, 1000}.check())
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if o.TTL <= o.ResendCooldown {
		return fmt.Errorf("-code-ttl (%s) must be longer than -resend-cooldown (%s)", o.TTL, o.ResendCooldown)
	}
	return nil
}

func serve(args []string, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Listen first: with -addr HOST:0 the port is known only then, and the
	// default passkey origin of a loopback server carries it.
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	handler, closeAll, err := newServer(ctx, c, ln.Addr(), logger, stderr)
	if err != nil {
		ln.Close()
		return err
	}
	defer closeAll()
	return listen(ctx, ln, c.basePath, handler, logger, stderr)
}

// newServer opens what the flags name (store, limits, senders, webhooks)
// and returns the server's handler, and what closes it all once the
// handler is done. addr is the address it will be served on. The
// background work (janitor, webhook deliveries, retention) runs until ctx
// ends. Tests serve the handler in process.
func newServer(ctx context.Context, c *config, addr net.Addr, logger *slog.Logger, stderr io.Writer) (_ http.Handler, closeAll func(), err error) {
	warn := warner(stderr)
	var closers []func()
	closeUp := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	defer func() {
		if err != nil {
			closeUp() // not closeAll: the failing return set it to nil
		}
	}()
	b, err := openBackends(ctx, c, stderr)
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, b.close)
	send, err := openSenders(&c.senders, c.outbox, stderr)
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, send.close)
	cfg, err := serviceConfig(c, warn)
	if err != nil {
		return nil, nil, err
	}
	cfg.Store, cfg.SMS, cfg.Email, cfg.Logger = b.store, send.sms, send.email, logger
	cfg.WebAuthn = webAuthnConfig(c.webAuthn, addr, stderr)
	meters, metricsHandler, err := metrics()
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, func() { _ = meters.Shutdown(context.Background()) })
	cfg.Meter = meters
	svc, err := onboarding.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	if c.retention > 0 {
		go purgeRetained(ctx, svc, time.Hour, stderr)
	}
	if c.janitor.interval > 0 {
		go runJanitor(ctx, b.store, b.limitPruner, onboardkit.SystemClock.Now, c.janitor, stderr)
		fmt.Fprintf(stderr, "janitor: prunes every %s; audit events are %s\n", c.janitor.interval, retentionText(c.janitor.eventRetention))
	}
	deliverer, err := startDeliverer(ctx, &c.hooks, b.store, stderr)
	if err != nil {
		return nil, nil, err
	}
	providers, err := c.hooks.providers(stderr)
	if err != nil {
		return nil, nil, err
	}
	if len(c.integratorKeys) == 0 {
		fmt.Fprintln(stderr, "integrator routes: no -integrator-key, every signed call is refused")
	}
	if len(c.operatorKeys) == 0 {
		fmt.Fprintln(stderr, "operator routes: no -operator-key, every signed call is refused")
	}
	api := httpapi.New(svc, httpapi.Config{
		BasePath:       c.basePath,
		IntegratorKeys: c.integratorKeys,
		OperatorKeys:   c.operatorKeys,
		TrustedProxies: c.trustedProxies,
		Limiter:        b.limiter,
		Signature:      httpapi.SignatureConfig{Replay: b.replay},
		Providers:      providers,
		Webhooks:       webhooks(deliverer),
	})
	// The API answers every path but /metrics, the Prometheus scrape of
	// what the Service and the handler measured (keep it off the public
	// listener in production, e.g. with a network policy).
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metricsHandler)
	mux.Handle("/", api)
	if c.demo {
		page := demoPage{APIBase: strings.TrimRight(c.basePath, "/")}
		if send.codes != nil {
			page.DevCodes = devCodesPath
			mux.Handle("GET "+devCodesPath, send.codes)
			fmt.Fprintf(stderr, "dev codes: GET %s?to=… shows the last code the outbox got for a phone or email (development only: never with -smtp-addr or -twilio-account-sid; off with -demo=false)\n", devCodesPath)
		}
		if err := mountDemo(mux, page); err != nil {
			return nil, nil, err
		}
		fmt.Fprintf(stderr, "demo web app: %s (off with -demo=false)\n", demoURL(addr))
	}
	return mux, closeUp, nil
}

// backends are the store and what keeps the rate limits and used
// signatures: in process, in PostgreSQL, or in Redis.
type backends struct {
	store   storage.Store
	limiter ratelimit.Limiter
	replay  ratelimit.ReplayCache
	// limitPruner prunes the rate limits and replay nonces kept in
	// PostgreSQL (nil when they are kept elsewhere).
	limitPruner limitPruner
	closers     []func()
}

func (b *backends) close() {
	for i := len(b.closers) - 1; i >= 0; i-- {
		b.closers[i]()
	}
}

// openBackends opens the store (-postgres, else in memory) and the shared
// limits (-redis, else the PostgreSQL store's, else in process), and says
// which at start.
func openBackends(ctx context.Context, c *config, stderr io.Writer) (*backends, error) {
	b := &backends{}
	if c.postgresDSN != "" {
		pg, err := openPostgres(ctx, c.postgresDSN, c.schema)
		if err != nil {
			return nil, err
		}
		b.closers = append(b.closers, pg.Close)
		state := "not migrated: -migrate=false"
		if c.migrate {
			if err := pg.Migrate(ctx); err != nil {
				b.close()
				return nil, fmt.Errorf("migrate: %w", err)
			}
			state = "migrated"
		}
		b.store, b.limiter, b.replay = pg, pg.Limiter(), pg.ReplayCache()
		if c.redisURL == "" {
			b.limitPruner = pg
		}
		fmt.Fprintf(stderr, "store: PostgreSQL%s (%s)\n", schemaText(c.schema), state)
	} else {
		b.store = memory.New()
		fmt.Fprintln(stderr, "store: in-memory (everything is lost on exit)")
	}
	switch {
	case c.redisURL != "":
		opts, err := redis.ParseURL(c.redisURL)
		if err != nil {
			b.close()
			return nil, fmt.Errorf("-redis: %w", err)
		}
		client := redis.NewClient(opts)
		b.closers = append(b.closers, func() { _ = client.Close() })
		rb := redisrate.New(client)
		b.limiter, b.replay = rb.Limiter(), rb.ReplayCache()
		fmt.Fprintln(stderr, "rate limits and signature replay cache: Redis (shared by every replica)")
	case c.postgresDSN != "":
		fmt.Fprintln(stderr, "rate limits and signature replay cache: PostgreSQL (shared by every replica)")
	default:
		fmt.Fprintln(stderr, "rate limits and signature replay cache: in process (one replica only)")
	}
	return b, nil
}

// serviceConfig is the onboarding configuration of the flags: secret,
// token key, deposit-address deriver and reviewer.
func serviceConfig(c *config, warn func(string)) (onboarding.Config, error) {
	secret, err := loadSecret(c.secret, warn)
	if err != nil {
		return onboarding.Config{}, err
	}
	signing, err := loadSigningKey(c.jwtKeyPath)
	if err != nil {
		return onboarding.Config{}, err
	}
	if c.jwtKeyPath == "" {
		warn("no -jwt-key: access tokens are signed with an ephemeral Ed25519 key; they stop working on restart")
	}
	addresses, err := deriver(c, warn)
	if err != nil {
		return onboarding.Config{}, fmt.Errorf("deposit address key: %w", err)
	}
	ring, err := loadKeyring(c, warn)
	if err != nil {
		return onboarding.Config{}, err
	}
	kept, err := retention(c)
	if err != nil {
		return onboarding.Config{}, err
	}
	cfg := onboarding.Config{Secret: secret, Keyring: ring, Retention: kept, Tokens: onboarding.TokenConfig{SigningKey: signing}, Addresses: addresses,
		Flow: c.flow, OTP: c.codes}
	if c.autoApprove {
		cfg.Reviewer = kyc.DevReviewer{}
		warn("-auto-approve-kyc: complete KYC submissions are approved at once (development reviewer)")
	}
	return cfg, nil
}

// webAuthnConfig is the passkeys' relying party of the flags. Without
// -webauthn-rp-id a server listening on a loopback (or every) address is the relying
// party localhost at its own port (a browser treats http://localhost as a
// secure context, so passkeys work over plain HTTP there); elsewhere
// passkeys stay off. It says at start which.
func webAuthnConfig(w onboarding.WebAuthnConfig, addr net.Addr, stderr io.Writer) onboarding.WebAuthnConfig {
	if w.RPID == "" && len(w.Origins) == 0 {
		if a, ok := addr.(*net.TCPAddr); ok && (a.IP.IsLoopback() || a.IP.IsUnspecified()) {
			w.RPID, w.Origins = "localhost", []string{fmt.Sprintf("http://localhost:%d", a.Port)}
			fmt.Fprintf(stderr, "passkeys: relying party localhost, origin %s (the default of a loopback -addr; open the demo there, not at 127.0.0.1)\n", w.Origins[0])
			return w
		}
		fmt.Fprintln(stderr, "passkeys: off (no -webauthn-rp-id)")
		return onboarding.WebAuthnConfig{}
	}
	fmt.Fprintf(stderr, "passkeys: relying party %s, origins %s\n", w.RPID, strings.Join(w.Origins, ", "))
	return w
}

// loadSecret returns the secret of the flags (-secret, -secret-file,
// $ONBOARDKIT_SECRET or $ONBOARDKIT_SECRET_FILE), else a random one.
func loadSecret(value string, warn func(string)) ([]byte, error) {
	secret := []byte(value)
	if len(secret) == 0 {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, err
		}
		warn("no -secret-file or $ONBOARDKIT_SECRET: using a random secret; codes and refresh tokens do not survive a restart")
	} else if len(secret) < 32 {
		return nil, errors.New("the secret must be at least 32 bytes")
	}
	return secret, nil
}

// deriver is the deposit-address provider of the flags.
func deriver(c *config, warn func(string)) (portfolio.AddressProvider, error) {
	if c.chain == portfolio.ChainEthereum {
		key := c.ethXpub
		if key == "" {
			key = portfolio.DevEthereumXpub
			warn("no -eth-xpub: deposit addresses derive from the PUBLIC TEST MNEMONIC key at m/44'/60'/0'; anyone can spend coins sent to them. Never use it for real funds.")
		}
		return portfolio.NewEthereumDeriver(key)
	}
	key := c.btcXpub
	if key == "" {
		key = portfolio.DevBitcoinZpub
		warn("no -btc-xpub: deposit addresses derive from the PUBLIC BIP84 TEST KEY (zpub6rFR7y4Q…); anyone can spend coins sent to them. Never use it for real funds.")
	}
	return portfolio.NewBitcoinDeriver(key)
}

// listen serves handler on addr until ctx ends, then shuts down gracefully.
func listen(ctx context.Context, ln net.Listener, basePath string, handler http.Handler, logger *slog.Logger, stderr io.Writer) error {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       60 * time.Second, // KYC bodies reach 16 MiB
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stderr, "listening on http://%s%s (OpenAPI at %s/openapi.yaml, metrics at /metrics)\n", ln.Addr(), basePath, basePath)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stderr, "shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loadSigningKey reads a PEM PKCS#8 Ed25519 or P-256 private key, or generates
// an ephemeral Ed25519 key when path is empty. The key id is derived from the
// public key, so it is stable across restarts.
func loadSigningKey(path string) (onboarding.SigningKey, error) {
	if path == "" {
		return onboarding.NewSigningKey("ephemeral", nil)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return onboarding.SigningKey{}, err
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "PRIVATE KEY" {
		return onboarding.SigningKey{}, fmt.Errorf("%s: want a PEM \"PRIVATE KEY\" (PKCS#8) block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return onboarding.SigningKey{}, fmt.Errorf("%s: %w", path, err)
	}
	var signer crypto.Signer
	switch k := k.(type) {
	case ed25519.PrivateKey:
		signer = k
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return onboarding.SigningKey{}, fmt.Errorf("%s: ECDSA keys must be on P-256", path)
		}
		signer = k
	default:
		return onboarding.SigningKey{}, fmt.Errorf("%s: want an Ed25519 or P-256 key, got %T", path, k)
	}
	pub, err := x509.MarshalPKIXPublicKey(signer.Public())
	if err != nil {
		return onboarding.SigningKey{}, err
	}
	sum := sha256.Sum256(pub)
	return onboarding.SigningKey{ID: base64.RawURLEncoding.EncodeToString(sum[:8]), Key: signer}, nil
}

// keygen writes a new P-256 integrator key (PEM PKCS#8) to a new file
// only its owner can read (0600; an existing file is never overwritten)
// and prints its public key in the -integrator-key / X-Pubkey form.
func keygen(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	out := fs.String("out", "", "new file to write the private key to (required; keep it out of source trees, e.g. \"$(mktemp -d)/integrator.pem\")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("keygen: -out is required: a new file for the private key, outside the repository (e.g. -out \"$(mktemp -d)/integrator.pem\")")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := writeNew(*out, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return err
	}
	pub, err := httpapi.FormatPublicKeyHex(&key.PublicKey)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, pub)
	return nil
}

// writeNew writes data to a new file readable by its owner only (0600),
// refusing to replace an existing one.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// sign prints the signature headers of one integrator request as shell
// assignments: PUBKEY=…, TIMESTAMP=…, SIGNATURE=….
func sign(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	keyPath := fs.String("key", "integrator.pem", "PEM PKCS#8 P-256 private key")
	method := fs.String("method", "POST", "HTTP method")
	path := fs.String("path", "", "path and query, e.g. /v1/integrator/kyc-decisions")
	body := fs.String("body", "", "exact request body (use @FILE to read a file)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" {
		return errors.New("-path is required")
	}
	raw, err := os.ReadFile(*keyPath)
	if err != nil {
		return err
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return fmt.Errorf("%s: not PEM", *keyPath)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return err
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return fmt.Errorf("%s: want a P-256 key", *keyPath)
	}
	payload := *body
	if name, ok := strings.CutPrefix(payload, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		payload = string(b)
	}
	req, err := http.NewRequest(strings.ToUpper(*method), "http://localhost"+*path, strings.NewReader(payload))
	if err != nil {
		return err
	}
	if err := httpapi.Sign(req, key, onboardkit.SystemClock.Now()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "PUBKEY=%s\nTIMESTAMP=%s\nSIGNATURE=%s\n",
		req.Header.Get(httpapi.HeaderPubkey), req.Header.Get(httpapi.HeaderTimestamp), req.Header.Get(httpapi.HeaderSignature))
	return nil
}
