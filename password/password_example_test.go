package password_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/password"
)

func ExamplePolicy_Validate() {
	policy := password.DefaultPolicy()
	profile := password.Profile{
		Phone:     "+33614125910",
		Email:     "desiree.martin@example.com",
		FirstName: "Désirée",
		LastName:  "Martin",
		BirthDate: time.Date(1990, 5, 21, 0, 0, 0, 0, time.UTC),
	}
	ctx := context.Background()

	fmt.Println(policy.Validate(ctx, "correct-horse-7-battery", profile))

	err := policy.Validate(ctx, "Desiree1990", profile)
	var pe *password.PolicyError
	if errors.As(err, &pe) {
		for _, v := range pe.Violations {
			fmt.Println(v.Code+":", v.Message)
		}
	}
	fmt.Println(errors.Is(err, onboardkit.ErrPasswordPolicy))
	// Output:
	// <nil>
	// contains_profile_info: The password must not contain your name, email, phone number or birth date.
	// too_common: The password is too common.
	// true
}

func ExamplePolicyError_Unwrap() {
	err := password.DefaultPolicy().Validate(context.Background(), "qwerty", password.Profile{})
	var oe *onboardkit.Error
	if errors.As(err, &oe) {
		fmt.Println(oe.Code)
		for _, f := range oe.Fields {
			fmt.Println(f.Field, f.Code)
		}
	}
	// Output:
	// password_policy
	// password too_short
	// password missing_digit
	// password too_common
	// password too_simple
}

func ExamplePolicy_ValidateWithHistory() {
	ctx := context.Background()
	hasher, _ := password.NewHasher(password.HasherConfig{Params: password.TestParams()}, onboardkit.Runtime{})
	previous, _ := hasher.Hash(ctx, "Blue-Ocean-77")

	policy := password.DefaultPolicy()
	err := policy.ValidateWithHistory(ctx, "Blue-Ocean-77", password.Profile{}, []string{previous}, hasher)
	fmt.Println(err)
	// Output:
	// password_policy: reused
}

func ExampleHasher() {
	ctx := context.Background()
	// Production uses password.HasherConfig{} (OWASP argon2id parameters);
	// tests use the cheap TestParams.
	hasher, err := password.NewHasher(password.HasherConfig{Params: password.TestParams()}, onboardkit.Runtime{})
	if err != nil {
		panic(err)
	}
	encoded, _ := hasher.Hash(ctx, "correct-horse-7-battery")
	fmt.Println(encoded[:28])

	ok, _ := hasher.Verify(ctx, "correct-horse-7-battery", encoded)
	fmt.Println(ok)
	ok, _ = hasher.Verify(ctx, "wrong", encoded)
	fmt.Println(ok)

	// A hasher with stronger parameters asks for an upgrade after login.
	strong, _ := password.NewHasher(password.HasherConfig{}, onboardkit.Runtime{})
	fmt.Println(strong.NeedsRehash(encoded))
	// Output:
	// $argon2id$v=19$m=64,t=1,p=1$
	// true
	// false
	// true
}

func ExampleHasher_DummyVerify() {
	ctx := context.Background()
	hasher, _ := password.NewHasher(password.HasherConfig{Params: password.TestParams()}, onboardkit.Runtime{})
	// At login, for a username that matches no user: spend the time a
	// verification would, then answer invalid_credentials as for a wrong
	// password.
	_ = hasher.DummyVerify(ctx, "whatever-was-typed")
	fmt.Println(string(onboardkit.ErrInvalidCredentials))
	// Output:
	// invalid_credentials
}

func ExampleBlocklist_Extend() {
	list := password.DefaultBlocklist().Extend("onboardkit", "acme")
	fmt.Println(list.Contains("0nb0ardk1t!"))
	fmt.Println(list.Contains("P@ssw0rd2024"))
	fmt.Println(list.Contains("correct-horse-7-battery"))

	policy := password.DefaultPolicy()
	policy.Blocklist = list
	// Output:
	// true
	// true
	// false
}
