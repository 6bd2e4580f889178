package portfolio_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/portfolio"
)

func TestValidateName(t *testing.T) {
	tests := []struct {
		in, want, code string
	}{
		{"Main", "Main", ""},
		{"  Long term savings\u00a0 ", "Long term savings", ""},
		{"Épargne 🏦", "Épargne 🏦", ""},
		{"日本株", "日本株", ""},
		{strings.Repeat("a", 64), strings.Repeat("a", 64), ""},
		{strings.Repeat("é", 64), strings.Repeat("é", 64), ""},
		{" " + strings.Repeat("b", 64) + " ", strings.Repeat("b", 64), ""},
		{"", "", "required"},
		{"   \t\n", "", "required"},
		{strings.Repeat("a", 65), "", "too_long"},
		{strings.Repeat("é", 65), "", "too_long"},
		{"a\tb", "", "invalid_characters"},
		{"a\nb", "", "invalid_characters"},
		{"a\x00b", "", "invalid_characters"},
		{"a\x7fb", "", "invalid_characters"},
		{"a\u0085b", "", "invalid_characters"},     // C1 control
		{"pay\u200bpal", "", "invalid_characters"}, // zero-width space
		{"abc\u202etxt", "", "invalid_characters"}, // right-to-left override
		{"\xff\xfe", "", "invalid_characters"},     // not UTF-8
		{"a\ufffdb", "", "invalid_characters"},
	}
	for _, tt := range tests {
		got, err := portfolio.ValidateName(tt.in)
		if tt.code == "" {
			mustNoErr(t, err)
			mustEqual(t, tt.want, got)
			continue
		}
		mustEqual(t, []string{"name:" + tt.code}, fieldCodes(t, err))
		if !errors.Is(err, onboardkit.ErrValidation) {
			t.Fatalf("%q: not ErrValidation", tt.in)
		}
	}
}

func TestPortfolioTypes(t *testing.T) {
	p, err := portfolio.NewPlanner(portfolio.Config{Types: []string{"RETIREMENT", "YIELD_2"}})
	mustNoErr(t, err)
	mustEqual(t, []string{"TRADING", "SAVINGS", "STAKING", "RETIREMENT", "YIELD_2"}, p.Types())
	typed := func(p *portfolio.Planner, typ string) (portfolio.Portfolio, error) {
		return p.NewPortfolio(portfolio.NewPortfolioRequest{ID: "p1", AccountID: "a1", UserID: "u1", Name: "Main",
			Type: typ, KYCActive: true, AccountActive: true})
	}
	for in, want := range map[string]string{
		"TRADING": "TRADING", "trading": "TRADING", " Savings ": "SAVINGS", "STAKING": "STAKING",
		"RETIREMENT": "RETIREMENT", "yield_2": "YIELD_2",
	} {
		got, err := typed(p, in)
		mustNoErr(t, err)
		mustEqual(t, want, got.Type)
	}
	for in, code := range map[string]string{
		"": "required", "  ": "required", "CHECKING": "unsupported", "TRADING2": "unsupported", "TRAD ING": "unsupported",
	} {
		_, err := typed(p, in)
		mustEqual(t, []string{"portfolioAccountType:" + code}, fieldCodes(t, err))
	}
	// Host types are per planner.
	d, err := portfolio.NewPlanner(portfolio.Config{})
	mustNoErr(t, err)
	_, err = typed(d, "RETIREMENT")
	mustEqual(t, []string{"portfolioAccountType:unsupported"}, fieldCodes(t, err))
}

func TestNewPlannerConfig(t *testing.T) {
	p, err := portfolio.NewPlanner(portfolio.Config{})
	mustNoErr(t, err)
	mustEqual(t, portfolio.Config{MaxPortfoliosPerAccount: 20, DefaultTradingName: "Trading"}, p.Config())

	p, err = portfolio.NewPlanner(portfolio.Config{MaxPortfoliosPerAccount: 3, Types: []string{"TRADING", "GOLD"},
		DisableAutoProvision: true, DefaultTradingName: "  Spot  "})
	mustNoErr(t, err)
	mustEqual(t, portfolio.Config{MaxPortfoliosPerAccount: 3, Types: []string{"GOLD"}, DisableAutoProvision: true,
		DefaultTradingName: "Spot"}, p.Config())

	_, err = portfolio.NewPlanner(portfolio.Config{MaxPortfoliosPerAccount: -1,
		Types: []string{"gold", "", "OK", "1X", strings.Repeat("A", 33)}, DefaultTradingName: "a\tb"})
	mustEqual(t, []string{"MaxPortfoliosPerAccount:out_of_range", "DefaultTradingName:invalid_characters",
		"Types[0]:invalid_format", "Types[1]:invalid_format", "Types[3]:invalid_format", "Types[4]:invalid_format"},
		fieldCodes(t, err))
}

func TestNewPortfolio(t *testing.T) {
	p, err := portfolio.NewPlanner(portfolio.Config{MaxPortfoliosPerAccount: 2})
	mustNoErr(t, err)
	base := portfolio.NewPortfolioRequest{ID: "p1", AccountID: "a1", UserID: "u1", Name: " Main ", Type: "savings",
		KYCActive: true, AccountActive: true, Existing: 1, CreatedAt: t0}

	got, err := p.NewPortfolio(base)
	mustNoErr(t, err)
	mustEqual(t, portfolio.Portfolio{ID: "p1", AccountID: "a1", UserID: "u1", Name: "Main", Type: "SAVINGS", CreatedAt: t0}, got)

	tests := []struct {
		name   string
		change func(*portfolio.NewPortfolioRequest)
		code   onboardkit.Code
		fields []string
	}{
		{"cap", func(r *portfolio.NewPortfolioRequest) { r.Existing = 2 }, onboardkit.CodeLimitReached, nil},
		{"over cap", func(r *portfolio.NewPortfolioRequest) { r.Existing = 7 }, onboardkit.CodeLimitReached, nil},
		{"empty name", func(r *portfolio.NewPortfolioRequest) { r.Name = "" }, onboardkit.CodeValidation, []string{"name:required"}},
		{"bad type", func(r *portfolio.NewPortfolioRequest) { r.Type = "LOAN" }, onboardkit.CodeValidation,
			[]string{"portfolioAccountType:unsupported"}},
		{"every problem listed", func(r *portfolio.NewPortfolioRequest) {
			r.AccountID, r.Name, r.Type = "", strings.Repeat("x", 65), ""
		}, onboardkit.CodeValidation, []string{"accountId:required", "name:too_long", "portfolioAccountType:required"}},
		{"validation before cap", func(r *portfolio.NewPortfolioRequest) { r.Name, r.Existing = "", 2 },
			onboardkit.CodeValidation, []string{"name:required"}},
		{"gate before validation", func(r *portfolio.NewPortfolioRequest) { r.Name, r.KYCActive = "", false },
			onboardkit.CodeKYCNotActive, nil},
		{"inactive account", func(r *portfolio.NewPortfolioRequest) { r.AccountActive = false }, onboardkit.CodeKYCNotActive, nil},
		{"no id", func(r *portfolio.NewPortfolioRequest) { r.ID = "" }, onboardkit.CodeInternal, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			tt.change(&r)
			_, err := p.NewPortfolio(r)
			e := mustCode(t, err, tt.code)
			if tt.fields != nil {
				mustEqual(t, tt.fields, fieldCodes(t, e))
			}
		})
	}
}

func TestNameTakenError(t *testing.T) {
	err := portfolio.NameTakenError()
	if !errors.Is(err, onboardkit.ErrNameTaken) {
		t.Fatal("not ErrNameTaken")
	}
	mustEqual(t, "name", err.Fields[0].Field)
}

func TestProvisionPlan(t *testing.T) {
	on, err := portfolio.NewPlanner(portfolio.Config{MaxPortfoliosPerAccount: 3})
	mustNoErr(t, err)
	off, err := portfolio.NewPlanner(portfolio.Config{DisableAutoProvision: true})
	mustNoErr(t, err)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	pf := func(id, name, typ string, m int) portfolio.Portfolio {
		return portfolio.Portfolio{ID: id, Name: name, Type: typ, CreatedAt: at(m)}
	}

	tests := []struct {
		name     string
		planner  *portfolio.Planner
		accounts []portfolio.Account
		want     portfolio.Provision
	}{
		{"off", off, nil, portfolio.Provision{}},
		{"no account", on, nil, portfolio.Provision{CreateAccount: true, CreateTrading: true, TradingName: "Trading"}},
		{"empty first account", on, []portfolio.Account{{ID: "a1", CreatedAt: at(0)}},
			portfolio.Provision{AccountID: "a1", CreateTrading: true, TradingName: "Trading"}},
		{"oldest account wins", on, []portfolio.Account{{ID: "a2", CreatedAt: at(5)}, {ID: "a1", CreatedAt: at(1)}},
			portfolio.Provision{AccountID: "a1", CreateTrading: true, TradingName: "Trading"}},
		{"already provisioned", on, []portfolio.Account{{ID: "a1", TradingPortfolioID: "p1",
			Portfolios: []portfolio.Portfolio{pf("p1", "Trading", "TRADING", 0)}}}, portfolio.Provision{}},
		{"half-way: link existing TRADING", on, []portfolio.Account{{ID: "a1",
			Portfolios: []portfolio.Portfolio{pf("p2", "Mine", "TRADING", 2), pf("p1", "Trading", "TRADING", 1)}}},
			portfolio.Provision{AccountID: "a1", LinkTradingID: "p1"}},
		{"name used by another type", on, []portfolio.Account{{ID: "a1",
			Portfolios: []portfolio.Portfolio{pf("p1", "trading", "SAVINGS", 0), pf("p2", "Trading 2", "STAKING", 1)}}},
			portfolio.Provision{AccountID: "a1", CreateTrading: true, TradingName: "Trading 3"}},
		{"full account", on, []portfolio.Account{{ID: "a1", Portfolios: []portfolio.Portfolio{
			pf("p1", "A", "SAVINGS", 0), pf("p2", "B", "SAVINGS", 1), pf("p3", "C", "SAVINGS", 2)}}}, portfolio.Provision{}},
		{"second account ignored", on, []portfolio.Account{{ID: "a1", CreatedAt: at(0)},
			{ID: "a2", CreatedAt: at(1), TradingPortfolioID: "p9"}},
			portfolio.Provision{AccountID: "a1", CreateTrading: true, TradingName: "Trading"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustEqual(t, tt.want, tt.planner.ProvisionPlan(tt.accounts))
		})
	}

	long := strings.Repeat("n", 64)
	lp, err := portfolio.NewPlanner(portfolio.Config{DefaultTradingName: long})
	mustNoErr(t, err)
	got := lp.ProvisionPlan([]portfolio.Account{{ID: "a1", Portfolios: []portfolio.Portfolio{pf("p1", long, "SAVINGS", 0)}}})
	mustEqual(t, strings.Repeat("n", 62)+" 2", got.TradingName)
	_, err = portfolio.ValidateName(got.TradingName)
	mustNoErr(t, err)
}

func TestJSONShapes(t *testing.T) {
	local := time.FixedZone("CET", 3600)
	a := portfolio.Account{ID: "a1", UserID: "u1", CreatedAt: t0.In(local)}
	b, err := json.Marshal(a)
	mustNoErr(t, err)
	mustEqual(t, `{"accountId":"a1","userId":"u1","active":false,"createdAt":"2025-03-01T12:00:00Z","portfolios":[],"tradingPortfolioId":""}`, string(b))

	p := portfolio.Portfolio{ID: "p1", AccountID: "a1", UserID: "u1", Name: "Trading", Type: "TRADING",
		Address: portfolio.Address{Chain: "bitcoin", Address: "bc1q", DerivationPath: "m/84'/0'/0'/0/0"},
		KeyID:   "k", AddressIndex: 3, CreatedAt: t0}
	b, err = json.Marshal(p)
	mustNoErr(t, err)
	want := `{"portfolioId":"p1","accountId":"a1","name":"Trading","portfolioAccountType":"TRADING","publicStrategy":false,` +
		`"address":{"chain":"bitcoin","address":"bc1q","derivationPath":"m/84'/0'/0'/0/0"},"createdAt":"2025-03-01T12:00:00Z"}`
	mustEqual(t, want, string(b))

	a.Active, a.TradingPortfolioID, a.Portfolios = true, "p1", []portfolio.Portfolio{p}
	b, err = json.Marshal(a)
	mustNoErr(t, err)
	var back portfolio.Account
	mustNoErr(t, json.Unmarshal(b, &back))
	if back.ID != "a1" || !back.Active || back.TradingPortfolioID != "p1" || len(back.Portfolios) != 1 ||
		back.Portfolios[0].Address.Address != "bc1q" || !back.CreatedAt.Equal(t0) {
		t.Fatalf("round trip: %+v", back)
	}
}

func TestRecordsTrading(t *testing.T) {
	tr := portfolio.Portfolio{ID: "p2", Type: portfolio.TypeTrading}
	sv := portfolio.Portfolio{ID: "p3", Type: portfolio.TypeSavings}
	mustEqual(t, true, portfolio.RecordsTrading("", tr))
	mustEqual(t, false, portfolio.RecordsTrading("p1", tr))
	mustEqual(t, false, portfolio.RecordsTrading("", sv))
}
