package onboardkit

import (
	"crypto/rand"
	"io"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Clock tells the time. Every package of the module reads time through a
// Clock so that expiries, cooldowns and tokens can be tested without sleeping
// (see package clocktest for a settable one).
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// SystemClock is the wall clock, in UTC.
var SystemClock Clock = ClockFunc(func() time.Time { return time.Now().UTC() })

// Runtime is where a component reads time, draws randomness, logs, and
// reports metrics and traces. The host gives it once, in onboarding.Config
// (Clock, Rand, Logger, Meter, Tracer), and
// onboarding.New passes it to every component it builds; a package used on
// its own takes one in its constructor. Zero fields take the defaults of
// [Runtime.WithDefaults].
type Runtime struct {
	// Clock tells the time (default SystemClock).
	Clock Clock
	// Rand is the source of ids, codes, salts and tokens (default
	// crypto/rand.Reader). An injected reader need not be safe for
	// concurrent use: WithDefaults serialises its reads.
	Rand io.Reader
	// Logger receives operational logs, never PII or secrets (default: a
	// logger that discards).
	Logger *slog.Logger
	// Meter and Tracer receive the module's OpenTelemetry metrics and
	// spans (default: the global providers, otel.GetMeterProvider and
	// otel.GetTracerProvider, which do nothing until the host installs an
	// SDK). Attributes never hold PII or secrets.
	Meter  metric.MeterProvider
	Tracer trace.TracerProvider
}

// WithDefaults returns r with every zero field set to its default. An
// injected Rand is wrapped so that concurrent reads are serialised; calling
// WithDefaults again does not wrap it twice.
func (r Runtime) WithDefaults() Runtime {
	if r.Clock == nil {
		r.Clock = SystemClock
	}
	switch r.Rand.(type) {
	case nil:
		r.Rand = rand.Reader
	case *lockedReader:
	default:
		if r.Rand != rand.Reader {
			r.Rand = &lockedReader{r: r.Rand}
		}
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	if r.Meter == nil {
		r.Meter = otel.GetMeterProvider()
	}
	if r.Tracer == nil {
		r.Tracer = otel.GetTracerProvider()
	}
	return r
}

// Now returns the time of r's clock in UTC (SystemClock when unset).
func (r Runtime) Now() time.Time {
	if r.Clock == nil {
		return SystemClock.Now()
	}
	return r.Clock.Now().UTC()
}

// lockedReader serialises reads of an injected random source that may not
// be safe for concurrent use.
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}
