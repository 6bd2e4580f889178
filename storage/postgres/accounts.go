package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/onboardkit/onboardkit/storage"
)

const accountColumns = `id, user_id, active, trading_portfolio_id, created_at, updated_at,
	email_key_ref, email_data, info_key_ref, info_data`

func scanAccount(row pgx.Row) (*storage.Account, error) {
	var (
		a                   storage.Account
		created, updated    pgtype.Timestamptz
		emailRef, infoRef   string
		emailData, infoData []byte
	)
	if err := row.Scan(&a.ID, &a.UserID, &a.Active, &a.TradingPortfolioID, &created, &updated,
		&emailRef, &emailData, &infoRef, &infoData); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = fromTS(created), fromTS(updated)
	a.Email, a.Info = sealed(emailRef, emailData), sealed(infoRef, infoData)
	return &a, nil
}

// CreateAccount stores a, its sealed email and information as they are.
// A taken id returns a *storage.DuplicateError with Field "id"; a user id
// naming no user an error wrapping storage.ErrNotFound.
func (s *Store) CreateAccount(ctx context.Context, a *storage.Account) error {
	args := []any{
		a.ID, a.UserID, a.Active, a.TradingPortfolioID, ts(a.CreatedAt), ts(a.UpdatedAt),
		a.Email.KeyRef, bytesOrNil(a.Email.Data), a.Info.KeyRef, bytesOrNil(a.Info.Data),
	}
	return s.later(ctx, "create account", stmt{`INSERT INTO accounts (` + accountColumns + `)
		VALUES (` + placeholders(len(args)) + `)`, args})
}

// GetAccount returns the account, or storage.ErrNotFound.
func (s *Store) GetAccount(ctx context.Context, id string) (*storage.Account, error) {
	a, err := scanAccount(s.q.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("get account")
	}
	if err != nil {
		return nil, mapErr("get account", err)
	}
	return a, nil
}

// LockAccount returns the account, or storage.ErrNotFound. On the Store of
// a Tx it reads the row with SELECT ... FOR UPDATE, which holds the row
// until the transaction ends: another LockAccount waits, and so does any
// portfolio insert naming the account (its foreign-key check takes a KEY
// SHARE lock, which FOR UPDATE excludes). At READ COMMITTED the next
// statements of the transaction see everything committed by those that
// held the row before; under SERIALIZABLE ([WithIsolation]) a count read
// that an earlier holder made stale fails the commit with a serialization
// failure, which Tx retries. Outside a Tx it is GetAccount.
func (s *Store) LockAccount(ctx context.Context, id string) (*storage.Account, error) {
	if s.tx == nil {
		return s.GetAccount(ctx, id)
	}
	a, err := scanAccount(s.tx.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("lock account")
	}
	if err != nil {
		return nil, mapErr("lock account", err)
	}
	return a, nil
}

// ListAccounts returns the user's accounts, oldest CreatedAt first
// (creation order among equals); none is an empty list.
func (s *Store) ListAccounts(ctx context.Context, userID string) ([]*storage.Account, error) {
	return queryAll(ctx, s, "list accounts", `SELECT `+accountColumns+` FROM accounts WHERE user_id = $1
		ORDER BY created_at ASC NULLS FIRST, seq`, 0, scanAccount, userID)
}

// SetAccountsActive sets active on every account of the user whose active
// differs, with updated_at = at, in one UPDATE, and returns how many rows
// it changed.
func (s *Store) SetAccountsActive(ctx context.Context, userID string, active bool, at time.Time) (int, error) {
	tag, err := s.q.Exec(ctx, `UPDATE accounts SET active = $2, updated_at = $3
		WHERE user_id = $1 AND active <> $2`, userID, active, ts(at))
	if err != nil {
		return 0, mapErr("set accounts active", err)
	}
	return int(tag.RowsAffected()), nil
}

// SetTradingPortfolio records the account's trading portfolio with
// UpdatedAt = at, or returns storage.ErrNotFound for an unknown account.
func (s *Store) SetTradingPortfolio(ctx context.Context, accountID, portfolioID string, at time.Time) error {
	return s.execFound(ctx, "set trading portfolio", `UPDATE accounts SET trading_portfolio_id = $2, updated_at = $3 WHERE id = $1`,
		accountID, portfolioID, ts(at))
}

const portfolioColumns = `id, account_id, user_id, name, portfolio_type, chain, address,
	derivation_path, key_id, address_index, created_at, public_strategy`

func scanPortfolio(row pgx.Row) (*storage.Portfolio, error) {
	var (
		p       storage.Portfolio
		index   int64
		created pgtype.Timestamptz
	)
	if err := row.Scan(&p.ID, &p.AccountID, &p.UserID, &p.Name, &p.Type, &p.Chain, &p.Address,
		&p.DerivationPath, &p.KeyID, &index, &created, &p.PublicStrategy); err != nil {
		return nil, err
	}
	p.AddressIndex = uint32(index) // the column's CHECK keeps it in range
	p.CreatedAt = fromTS(created)
	return &p, nil
}

// CreatePortfolio stores p. A taken id returns a *storage.DuplicateError
// with Field "id", a name already used in the account one with Field "name",
// a deposit address (KeyID, Chain, AddressIndex) already used by another
// portfolio one with Field "address_index" (checked only when KeyID is not
// empty); an account or user id naming nothing an error wrapping
// storage.ErrNotFound.
func (s *Store) CreatePortfolio(ctx context.Context, p *storage.Portfolio) error {
	return s.later(ctx, "create portfolio", stmt{`INSERT INTO portfolios (` + portfolioColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, []any{
		p.ID, p.AccountID, p.UserID, p.Name, p.Type, p.Chain, p.Address, p.DerivationPath, p.KeyID,
		int64(p.AddressIndex), ts(p.CreatedAt), p.PublicStrategy,
	}})
}

// GetPortfolio returns the portfolio, or storage.ErrNotFound.
func (s *Store) GetPortfolio(ctx context.Context, id string) (*storage.Portfolio, error) {
	p, err := scanPortfolio(s.q.QueryRow(ctx, `SELECT `+portfolioColumns+` FROM portfolios WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("get portfolio")
	}
	if err != nil {
		return nil, mapErr("get portfolio", err)
	}
	return p, nil
}

// ListPortfolios returns the account's portfolios, oldest CreatedAt first
// (creation order among equals); none is an empty list.
func (s *Store) ListPortfolios(ctx context.Context, accountID string) ([]*storage.Portfolio, error) {
	return queryAll(ctx, s, "list portfolios", `SELECT `+portfolioColumns+` FROM portfolios WHERE account_id = $1
		ORDER BY created_at ASC NULLS FIRST, seq`, 0, scanPortfolio, accountID)
}

// AllocateAddressIndex returns the next unused index for (chain, keyID),
// starting at 0, with one upsert-increment of the pair's counter row. On
// the Store of a Tx it runs in the transaction: the counter row stays
// locked until the transaction ends, so concurrent units of work
// allocating for the pair wait for each other, and a rollback undoes the
// increment, releasing the index for the next allocation. Outside a Tx it
// is its own implicit transaction. Lock the account first (LockAccount)
// in a unit of work that does both; see the package documentation on lock
// order. Once all 2^32 indexes of a pair are used it returns an error
// wrapping storage.ErrConflict.
func (s *Store) AllocateAddressIndex(ctx context.Context, chain, keyID string) (uint32, error) {
	var next int64
	err := s.scanOne(ctx, `INSERT INTO address_counters (chain, key_id, next_index)
			VALUES ($1, $2, 1)
			ON CONFLICT (chain, key_id) DO UPDATE SET next_index = address_counters.next_index + 1
			RETURNING next_index`, []any{chain, keyID}, &next)
	if err != nil {
		return 0, mapErr("allocate address index", err)
	}
	index := next - 1
	if index < 0 || index > math.MaxUint32 {
		return 0, conflict("allocate address index", fmt.Sprintf("address indexes of the key exhausted (%d)", index))
	}
	return uint32(index), nil
}
