package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromiumEnv names the Chromium the browser test drives. When it is set
// (.ci/run sets it) the test must run: a missing or broken browser fails it.
// When it is unset the test looks for chromium on the PATH and skips, with
// this hint, where there is none.
const chromiumEnv = "ONBOARDKIT_TEST_CHROMIUM"

// screenshotEnv names a file the browser test writes its last screenshot to
// (a path relative to the repository root, or absolute); unset, the
// screenshot goes to the test's temporary directory. The README's picture is
// made so:
//
//	ONBOARDKIT_DEMO_SCREENSHOT=docs/demo.png go test -run TestDemoJourney ./examples/server/
const screenshotEnv = "ONBOARDKIT_DEMO_SCREENSHOT"

// tinyPNG is a 1×1 PNG: the KYC document the browser uploads (a
// low_resolution warning, no error, so the development reviewer approves).
const tinyPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

// chromium returns the browser to drive, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(chromiumEnv); p != "" {
		return p
	}
	if testing.Short() {
		t.Skipf("-short: the browser test runs only when %s is set", chromiumEnv)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skipf("the demo's browser test needs Chromium: apt-get install -y chromium (Debian), or set %s=/path/to/chromium; "+
		"CI sets it, and the test then fails, never skips", chromiumEnv)
	return ""
}

// startDemo serves the whole example server in process, as the command
// line would build it (the in-memory store, the development outbox, the
// automatic KYC reviewer, the API under -base-path /auth), on
// http://localhost:PORT, and returns that origin. The browser must use the
// host name localhost: it is a secure context, where WebAuthn works over
// plain HTTP, and the relying party's id.
func startDemo(t *testing.T, ctx context.Context, flags ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	origin := fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	args := append([]string{"-auto-approve-kyc", "-base-path", "/auth", "-janitor-interval", "0"}, flags...)
	c, err := parseFlags(args, io.Discard)
	require.NoError(t, err)
	handler, closeAll, err := newServer(ctx, c, ln.Addr(), slog.New(slog.DiscardHandler), io.Discard)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(handler)
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(closeAll)
	t.Cleanup(srv.Close)
	return origin
}

// TestDemoJourney walks the demo web app in headless Chromium on a
// phone-sized screen, from sign-up to the account and its deposit address
// (reading the codes from the development code endpoint), enrols a passkey
// with the DevTools virtual authenticator, logs out and signs in with it;
// on the way it checks that an API error shows next to the field it names.
func TestDemoJourney(t *testing.T) {
	browser := chromium(t)
	srvCtx, stopServer := context.WithCancel(context.Background())
	defer stopServer()
	origin := startDemo(t, srvCtx)

	dir := t.TempDir()
	doc := filepath.Join(dir, "passport.png")
	raw, err := base64.StdEncoding.DecodeString(tinyPNG)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(doc, raw, 0o600))

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(412, 915),
	)...)
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()
	// The first Run starts the browser; it must not carry the deadline
	// (the deadline would stop the browser), the steps below do.
	require.NoError(t, chromedp.Do(browserCtx), "start %s", browser)
	ctx, cancel := context.WithTimeout(browserCtx, 2*time.Minute)
	defer cancel()

	// Each step has its own deadline, so a stuck one fails in seconds
	// with what the page shows.
	step := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			dumpPage(t, browserCtx, name)
			t.Fatalf("%s: %v", name, err)
		}
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	set := func(sel, v string) chromedp.Action[chromedp.Void] { return chromedp.SetValue(css(sel), v) }
	// filled waits until the development code endpoint has put a code in the field.
	filled := func(sel string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(`/^[0-9]{4,10}$/.test(document.querySelector(%q).value)`, sel))
	}

	// Every Content-Security-Policy violation and uncaught script error of
	// the page is collected (by a script DevTools runs before the page's
	// own; the policy does not apply to it) and must stay none.
	step("watch for CSP violations and script errors", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
			window.__problems = [];
			document.addEventListener('securitypolicyviolation', (e) => __problems.push('CSP ' + e.violatedDirective + ' ' + e.blockedURI));
			window.addEventListener('error', (e) => __problems.push('error ' + e.message));
			window.addEventListener('unhandledrejection', (e) => __problems.push('rejection ' + e.reason));`})
		return err
	}))
	step("open the demo",
		chromedp.EmulateViewport(412, 915, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(origin+"/"),
		chromedp.WaitVisible(css("#signup-form")),
	)
	// A platform authenticator that holds discoverable credentials and
	// verifies its user (the passkey's screen lock), answering at once.
	step("add a virtual WebAuthn authenticator", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol:                    webauthn.AuthenticatorProtocolCtap2,
				Ctap2version:                webauthn.Ctap2versionCtap21,
				Transport:                   webauthn.AuthenticatorTransportInternal,
				HasResidentKey:              true,
				HasUserVerification:         true,
				IsUserVerified:              true,
				AutomaticPresenceSimulation: true,
			},
		})
		return err
	}))
	step("sign up with a weak password: the API's error shows under the password",
		set("#signup-phone", "+33 6 12 34 56 78"),
		set("#signup-password", "password"),
		chromedp.Click(css("#signup-form button[type=submit]")),
		chromedp.WaitVisible(css(`#signup-form .field-error[data-for="password"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('#signup-password').getAttribute('aria-invalid') === 'true'`),
	)
	step("sign up",
		set("#signup-password", "correct-horse-7-battery"),
		chromedp.Click(css("#signup-form button[type=submit]")),
		chromedp.WaitVisible(css("#phone")),
	)
	step("confirm the phone with the code of the development outbox",
		chromedp.Click(css("#phone .dev-code")),
		filled("#phone-code"),
		chromedp.Click(css("#phone-form button[type=submit]")),
		chromedp.WaitVisible(css("#email")),
	)
	step("add an email and confirm it",
		set("#email-address", "ada@example.com"),
		chromedp.Click(css("#email-form button[type=submit]")),
		chromedp.WaitVisible(css("#email-code")),
		chromedp.Click(css("#email-code .dev-code")),
		filled("#email-code-input"),
		chromedp.Click(css("#email-code-form button[type=submit]")),
		chromedp.WaitVisible(css("#profile")),
	)
	step("an address in an unknown country: the error shows under that field",
		set("#p-first", "Ada"),
		set("#p-country", "ZZZ"),
		chromedp.Click(css("#profile-form button[type=submit]")),
		chromedp.WaitVisible(css(`#profile-form .field-error[data-for="residentialAddress.country"]`)),
	)
	step("personal details",
		set("#p-first", "Ada"),
		set("#p-last", "Lovelace"),
		set("#p-birth", "1990-12-10"),
		set("#p-nationality", "GBR"),
		set("#p-street", "12 Rue de Rivoli"),
		set("#p-postal", "75004"),
		set("#p-city", "Paris"),
		set("#p-country", "FRA"),
		chromedp.Click(css("#profile-form button[type=submit]")),
		chromedp.WaitVisible(css("#compliance")),
	)
	step("compliance",
		chromedp.Click(css("#c-terms")),
		chromedp.Click(css(`input[name="politicallyExposed"][value="false"]`)),
		set("#q-employment", "employed"),
		set("#q-funds", "salary"),
		set("#q-payments", "0_4999"),
		set("#q-occupation", "Engineer"),
		chromedp.Click(css("#compliance-form button[type=submit]")),
		chromedp.WaitVisible(css("#kyc")),
	)
	step("KYC: a passport scan, read into a data URL",
		set("#k-type", "passport"),
		set("#k-country", "GBR"),
		set("#k-number", "123456789"),
		set("#k-expiry", "2031-05-01"),
		chromedp.SetUploadFiles(css("#k-file"), []string{doc}),
		chromedp.WaitVisible(css("#k-preview")),
		chromedp.Click(css("#kyc-form button[type=submit]")),
		chromedp.WaitVisible(css("#account")),
		chromedp.WaitVisible(css(".deposit-address")),
	)
	address, err := chromedp.Run(ctx, chromedp.Text(css(".deposit-address")))
	require.NoError(t, err)
	require.Regexp(t, `^bc1[a-z0-9]{20,}$`, address, "the trading portfolio's deposit address")
	status, err := chromedp.Run(ctx, chromedp.Text(css("#me-kyc")))
	require.NoError(t, err)
	require.Contains(t, status, "active")

	step("create a passkey",
		set("#passkey-name", "Test phone"),
		chromedp.Click(css("#passkey-form button[type=submit]")),
		chromedp.WaitVisible(css("#passkey-list .passkey-name")),
	)
	name, err := chromedp.Run(ctx, chromedp.Text(css("#passkey-list .passkey-name")))
	require.NoError(t, err)
	require.Equal(t, "Test phone", name)
	step("log out",
		chromedp.Click(css("#logout")),
		chromedp.WaitVisible(css("#signup-form")),
		chromedp.WaitNotVisible(css("#session")),
	)
	step("sign in with the passkey, no password, no code",
		chromedp.Click(css("#passkey-login")),
		chromedp.WaitVisible(css("#account")),
		chromedp.WaitVisible(css("#passkey-list .passkey-name")),
		chromedp.WaitVisible(css(".deposit-address")),
	)
	flash, err := chromedp.Run(ctx, chromedp.Text(css("#flash")))
	require.NoError(t, err)
	require.Contains(t, flash, "Signed in with a passkey")
	again, err := chromedp.Run(ctx, chromedp.Text(css(".deposit-address")))
	require.NoError(t, err)
	require.Equal(t, address, again, "the same user's account")
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__problems`))
	require.NoError(t, err)
	require.Empty(t, problems, "CSP violations or script errors")

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	out := filepath.Join(dir, "demo.png")
	if p := os.Getenv(screenshotEnv); p != "" {
		out = p
		if !filepath.IsAbs(p) {
			out = filepath.Join("..", "..", p) // the test runs in examples/server
		}
	}
	require.NoError(t, os.WriteFile(out, shot, 0o644))
	t.Logf("screenshot: %s", out)
}

// dumpPage logs what the page shows when a step fails: the section on
// screen, every visible error and notice, and a screenshot kept after the
// test (its path is logged).
func dumpPage(t *testing.T, browserCtx context.Context, step string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(browserCtx, 10*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const shown = (el) => !el.closest('[hidden]') && el.textContent.trim() !== '';
		const section = [...document.querySelectorAll('main > section')].find((s) => !s.hidden);
		const lines = ['section: ' + (section ? section.id : 'none')];
		for (const el of document.querySelectorAll('.form-error, .field-error, #flash, .dev-result')) {
			if (shown(el)) lines.push((el.dataset.for ? el.dataset.for + ': ' : '') + el.textContent.trim());
		}
		return lines.join('\n');
	})()`))
	if err != nil {
		t.Logf("%s: cannot read the page: %v", step, err)
	} else {
		t.Logf("%s: the page shows:\n%s", step, text)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("%s: no screenshot: %v", step, err)
		return
	}
	f, err := os.CreateTemp("", "onboardkit-demo-failure-*.png")
	if err != nil {
		t.Logf("%s: no screenshot: %v", step, err)
		return
	}
	defer f.Close()
	if _, err := f.Write(shot); err == nil {
		t.Logf("%s: screenshot of the failure: %s", step, f.Name())
	}
}

// TestDemoRoutes: the demo's page and assets beside the API, under their
// Content-Security-Policy; the API keeps every path (also under a base
// path); -demo=false leaves the API alone; GET /dev/codes answers the last
// code sent, to a phone number written as the user typed it.
func TestDemoRoutes(t *testing.T) {
	get := func(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
		t.Helper()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		return w
	}
	build := func(t *testing.T, args ...string) http.Handler {
		t.Helper()
		c, err := parseFlags(args, io.Discard)
		require.NoError(t, err)
		h, closeAll, err := newServer(t.Context(), c, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, slog.New(slog.DiscardHandler), io.Discard)
		require.NoError(t, err)
		t.Cleanup(closeAll)
		return h
	}

	t.Run("demo under a base path", func(t *testing.T) {
		h := build(t, "-base-path", "/auth", "-janitor-interval", "0")
		w := get(t, h, "/")
		require.Equal(t, http.StatusOK, w.Code)
		assert.Contains(t, w.Header().Get("Content-Security-Policy"), "default-src 'self'")
		assert.Contains(t, w.Header().Get("Content-Security-Policy"), "script-src 'self';")
		assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
		assert.Contains(t, w.Body.String(), `data-api-base="/auth"`)
		assert.Contains(t, w.Body.String(), `data-dev-codes="/dev/codes"`)
		assert.NotContains(t, w.Body.String(), "http://", "nothing from other hosts")
		assert.NotContains(t, w.Body.String(), "https://", "nothing from other hosts")

		w = get(t, h, "/app/app.js")
		require.Equal(t, http.StatusOK, w.Code)
		assert.Contains(t, w.Header().Get("Content-Type"), "javascript")
		assert.NotEmpty(t, w.Header().Get("Content-Security-Policy"))
		assert.Equal(t, http.StatusNotFound, get(t, h, "/app/").Code, "no directory listing")
		assert.Equal(t, http.StatusNotFound, get(t, h, "/index.html").Code)

		assert.Equal(t, http.StatusOK, get(t, h, "/auth/healthz").Code, "the API keeps its paths")
		assert.Equal(t, http.StatusOK, get(t, h, "/auth/openapi.yaml").Code)
		assert.Equal(t, http.StatusOK, get(t, h, "/metrics").Code)
		w = get(t, h, "/v1/me")
		assert.Equal(t, http.StatusNotFound, w.Code, "outside the base path: the API's 404")
		assert.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
	})

	t.Run("demo at the root beside the API", func(t *testing.T) {
		h := build(t, "-janitor-interval", "0")
		assert.Contains(t, get(t, h, "/").Body.String(), `data-api-base=""`)
		assert.Equal(t, http.StatusUnauthorized, get(t, h, "/v1/me").Code)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader("{}")))
		assert.Equal(t, "application/problem+json", w.Header().Get("Content-Type"), "only GET / is the page")

		signup, req := httptest.NewRecorder(), httptest.NewRequest("POST", "/v1/signup", strings.NewReader(`{"phoneNumber":"+33612345678","password":"correct-horse-7-battery"}`))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(signup, req)
		require.Equal(t, http.StatusCreated, signup.Code, signup.Body.String())
		w = get(t, h, "/dev/codes?to="+url.QueryEscape("+33 6 12.34-56 78"))
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
		var sent devCode
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &sent))
		assert.Equal(t, "+33612345678", sent.To)
		assert.Regexp(t, `^[0-9]{6}$`, sent.Code)
		assert.Equal(t, http.StatusNotFound, get(t, h, "/dev/codes?to=%2B33699999999").Code)
		assert.Equal(t, http.StatusBadRequest, get(t, h, "/dev/codes").Code)
	})

	t.Run("-demo=false", func(t *testing.T) {
		h := build(t, "-demo=false", "-janitor-interval", "0")
		for _, p := range []string{"/", "/app/app.js", "/dev/codes?to=x"} {
			w := get(t, h, p)
			assert.Equal(t, http.StatusNotFound, w.Code, p)
			assert.Equal(t, "application/problem+json", w.Header().Get("Content-Type"), p)
		}
	})

	t.Run("no code endpoint with a real sender", func(t *testing.T) {
		h := build(t, "-janitor-interval", "0", "-smtp-addr", "smtp.example.com:587", "-smtp-from", "a@example.com")
		assert.Equal(t, http.StatusOK, get(t, h, "/").Code)
		assert.Contains(t, get(t, h, "/").Body.String(), `data-dev-codes=""`)
		assert.Equal(t, "application/problem+json", get(t, h, "/dev/codes?to=x").Header().Get("Content-Type"), "the API's 404")
	})

	t.Run("a base path the assets would shadow", func(t *testing.T) {
		_, err := parseFlags([]string{"-base-path", "/app"}, io.Discard)
		require.ErrorContains(t, err, "collides")
		_, err = parseFlags([]string{"-base-path", "/app", "-demo=false"}, io.Discard)
		require.NoError(t, err)
	})
}

// TestWebAuthnFlags: the relying party of the flags, and the localhost
// default of a loopback server.
func TestWebAuthnFlags(t *testing.T) {
	loopback := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8443}
	public := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 10), Port: 8080}

	c, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	var out strings.Builder
	w := webAuthnConfig(c.webAuthn, loopback, &out)
	assert.Equal(t, "localhost", w.RPID)
	assert.Equal(t, []string{"http://localhost:8443"}, w.Origins)
	assert.Equal(t, "onboardkit", w.RPName)
	assert.Contains(t, out.String(), "passkeys: relying party localhost")
	out.Reset()
	assert.False(t, webAuthnConfig(c.webAuthn, public, &out).Enabled())
	assert.Contains(t, out.String(), "passkeys: off")

	t.Setenv("ONBOARDKIT_WEBAUTHN_ORIGIN", "https://app.example.com, https://example.com")
	c, err = parseFlags([]string{"-webauthn-rp-id", "example.com", "-webauthn-rp-name", "Example Bank"}, io.Discard)
	require.NoError(t, err)
	w = webAuthnConfig(c.webAuthn, loopback, io.Discard)
	assert.Equal(t, "example.com", w.RPID)
	assert.Equal(t, "Example Bank", w.RPName)
	assert.Equal(t, []string{"https://app.example.com", "https://example.com"}, w.Origins)
}
