// This file owns the demo web app: a page at / and its script and style
// sheet under /app/, embedded in the binary (plain HTML, CSS and
// JavaScript, no build step), that walks the onboarding journey against
// the API of this server. -demo=false turns it off.

package main

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"strings"
)

//go:embed demo
var demoFiles embed.FS

// demoCSP is the Content-Security-Policy of every demo response: the page
// loads its script, style sheet and icon from this server only, talks to
// this server only, runs no inline script or style, and cannot be framed.
// img-src allows data: URLs for the preview of the KYC document the user
// picks; forms are sent by the script (form-action 'none' stops a form
// from ever being submitted natively, which would put a password in a URL).
const demoCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// demoPage is what index.html is rendered with, once at start.
type demoPage struct {
	APIBase  string // the -base-path the API is served under ("" or "/auth")
	DevCodes string // the path of GET /dev/codes, "" when it is off
}

// mountDemo registers the demo on mux: GET / (the page, rendered with the
// API's base path and whether the development code endpoint is on) and
// GET /app/… (its assets). Every other path stays the API's: these two
// patterns are more specific than the API's "/", and the API's own routes
// start with /v1, /.well-known, /openapi.yaml, /healthz and /readyz (or
// the base path).
func mountDemo(mux *http.ServeMux, page demoPage) error {
	tmpl, err := template.ParseFS(demoFiles, "demo/index.html")
	if err != nil {
		return err
	}
	var index bytes.Buffer
	if err := tmpl.Execute(&index, page); err != nil {
		return err
	}
	assets, err := fs.Sub(demoFiles, "demo/app")
	if err != nil {
		return err
	}
	files := http.StripPrefix("/app/", http.FileServerFS(assets))
	mux.Handle("GET /{$}", demoHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(index.Bytes())
	})))
	mux.Handle("GET /app/", demoHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // no directory listings
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})))
	return nil
}

// demoHeaders sets the security headers of the demo's responses.
func demoHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", demoCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-cache")
		next.ServeHTTP(w, r)
	})
}

// demoURL is where to open the demo served on addr: on a loopback or
// unspecified address, http://localhost:PORT/ (passkeys need a domain, and
// localhost is a secure context over plain HTTP).
func demoURL(addr net.Addr) string {
	if a, ok := addr.(*net.TCPAddr); ok && (a.IP.IsLoopback() || a.IP.IsUnspecified()) {
		return fmt.Sprintf("http://localhost:%d/", a.Port)
	}
	return "http://" + addr.String() + "/"
}

// checkDemoBasePath refuses a -base-path the demo's assets would shadow.
func checkDemoBasePath(basePath string) error {
	b := strings.TrimRight(basePath, "/")
	if b == "/app" || strings.HasPrefix(b, "/app/") {
		return errors.New("-base-path " + basePath + " collides with the demo web app's /app/ assets: choose another prefix, or -demo=false")
	}
	return nil
}
