// This file owns what the Service reports to OpenTelemetry (through
// Config.Meter and Config.Tracer, the global providers by default):
//
//   - a span per Service method ("onboarding.SignUp", …), marked failed
//     with the error's stable code, never its message;
//   - onboardkit.step.duration (s), per method and outcome (ok or the
//     error code);
//   - onboardkit.store.duration (s), each unit of work, per operation;
//   - onboardkit.events, every event per type (login.succeeded and
//     login.failed give logins by outcome, with the failure reason:
//     password or throttled; user.registered sign-ups; kyc.approved,
//     kyc.rejected and kyc.information_required the decisions;
//     code.dropped anonymous codes over their budget);
//   - onboardkit.codes, one-time codes sent, verified and failed, per
//     purpose and (sent and verified) channel; failed ones with the
//     reason: invalid_code, code_expired, too_many_attempts.
//
// Attributes are names, codes and reasons: never a user id, a contact
// detail, a code or a token.

package onboarding

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/otp"
)

// instrumentationName names the module's meter and tracer.
const instrumentationName = "github.com/onboardkit/onboardkit/onboarding"

type telemetry struct {
	tracer      trace.Tracer
	stepSeconds metric.Float64Histogram
	unitSeconds metric.Float64Histogram
	events      metric.Int64Counter
	codes       metric.Int64Counter
}

func newTelemetry(rt onboardkit.Runtime) (*telemetry, error) {
	m := rt.Meter.Meter(instrumentationName)
	t := &telemetry{tracer: rt.Tracer.Tracer(instrumentationName)}
	var errs []error
	var err error
	t.stepSeconds, err = m.Float64Histogram("onboardkit.step.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of a Service step, by step and outcome."))
	errs = append(errs, err)
	t.unitSeconds, err = m.Float64Histogram("onboardkit.store.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of a unit of work in the store, by operation."))
	errs = append(errs, err)
	t.events, err = m.Int64Counter("onboardkit.events", metric.WithDescription("Events raised, by type."))
	errs = append(errs, err)
	t.codes, err = m.Int64Counter("onboardkit.codes", metric.WithDescription("One-time codes sent, verified and failed, by channel and purpose."))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("onboarding: telemetry: %w", err)
	}
	return t, nil
}

// errorCode is the stable code of err for attributes ("ok" for nil,
// "error" for an error without a code).
func errorCode(err error) string {
	if err == nil {
		return "ok"
	}
	var oe *onboardkit.Error
	if errors.As(err, &oe) {
		return string(oe.Code)
	}
	return "error"
}

// observe starts the span of a Service method; the returned function ends
// it and records the step's duration with err's outcome.
func (c *core) observe(ctx context.Context, step string) (context.Context, func(err error)) {
	start := c.rt.Clock.Now()
	ctx, span := c.tel.tracer.Start(ctx, "onboarding."+step)
	return ctx, func(err error) {
		code := errorCode(err)
		if err != nil {
			span.SetStatus(codes.Error, code)
		}
		span.SetAttributes(attribute.String("onboardkit.outcome", code))
		span.End()
		c.tel.stepSeconds.Record(ctx, c.rt.Clock.Now().Sub(start).Seconds(),
			metric.WithAttributes(attribute.String("step", step), attribute.String("outcome", code)))
	}
}

// countEvents counts events that committed.
func (c *core) countEvents(ctx context.Context, evs ...Event) {
	for _, e := range evs {
		attrs := []attribute.KeyValue{attribute.String("type", e.Type)}
		if r := e.Data["reason"]; r != "" {
			attrs = append(attrs, attribute.String("reason", r))
		}
		c.tel.events.Add(ctx, 1, metric.WithAttributes(attrs...))
	}
}

// countCode counts a code sent, verified or failed.
func (c *core) countCode(ctx context.Context, result string, ch otp.Challenge, reason string) {
	attrs := []attribute.KeyValue{attribute.String("result", result), attribute.String("purpose", string(ch.Purpose))}
	if ch.Channel != "" { // unknown for a code that failed
		attrs = append(attrs, attribute.String("channel", string(ch.Channel)))
	}
	if reason != "" {
		attrs = append(attrs, attribute.String("reason", reason))
	}
	c.tel.codes.Add(ctx, 1, metric.WithAttributes(attrs...))
}
