package otptest_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/otp/otptest"
)

var (
	_ otp.SMSSender   = (*otptest.Recorder)(nil)
	_ otp.EmailSender = (*otptest.Recorder)(nil)
)

func TestRecorder(t *testing.T) {
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
	}
	check := func(cond bool, what ...any) {
		t.Helper()
		if !cond {
			t.Errorf("not true: %v", what)
		}
	}
	r := otptest.NewRecorder()
	ctx := context.Background()
	must(r.Send(ctx, otp.Message{To: "a", Code: "1"}))
	must(r.Send(ctx, otp.Message{To: "b", Code: "2"}))
	must(r.Send(ctx, otp.Message{To: "a", Code: "3"}))
	check(r.Len() == 3, "Len", r.Len())
	check(r.LastCode("a") == "3", "LastCode")
	check(r.Last("b").Code == "2", "Last")
	check(reflect.DeepEqual(r.Last("c"), otp.Message{}), "Last of nobody")
	_, ok := r.LastOK("c")
	check(!ok, "LastOK of nobody")
	boom := errors.New("boom")
	r.FailNext(boom)
	check(errors.Is(r.Send(ctx, otp.Message{To: "a"}), boom), "FailNext")
	must(r.Send(ctx, otp.Message{To: "a", Code: "4"}))
	r.FailWith(boom)
	check(errors.Is(r.Send(ctx, otp.Message{To: "a"}), boom), "FailWith")
	check(errors.Is(r.Send(ctx, otp.Message{To: "a"}), boom), "FailWith again")
	r.FailWith(nil)
	must(r.Send(ctx, otp.Message{To: "a", Code: "5"}))
	check(len(r.Messages()) == 5, "Messages", len(r.Messages()))
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	check(r.Send(cctx, otp.Message{}) != nil, "cancelled context")
	r.Reset()
	check(r.Len() == 0, "Reset")
}
