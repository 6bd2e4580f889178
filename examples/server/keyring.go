// This file owns the server's keyrings: where the keyring that seals
// personal data comes from, the retention keyring, and the newkey and
// rewrap subcommands that rotate keys.

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/seal"
)

// keyringEnv holds the keyring when -keyring-file is not given.
const keyringEnv = "ONBOARDKIT_KEYRING"

// loadKeyring returns the keyring of -keyring-file, else $ONBOARDKIT_KEYRING.
// A PostgreSQL store refuses to start without one (its data would be lost
// with the process's key); the in-memory store gets an ephemeral key.
func loadKeyring(c *config, warn func(string)) (seal.Keyring, error) {
	switch {
	case c.keyringFile != "":
		return seal.ReadKeyringFile(c.keyringFile)
	case os.Getenv(keyringEnv) != "":
		return seal.KeyringFromEnv(keyringEnv)
	case c.postgresDSN != "":
		return nil, errors.New("personal data is sealed at rest: give the keyring with -keyring-file or $" + keyringEnv +
			" (make a key with: go run ./examples/server newkey -id " + time.Now().UTC().Format("2006-01") + ")")
	}
	warn("no -keyring-file or " + keyringEnv + ": personal data is sealed under an ephemeral key; it is lost with the in-memory store on exit")
	return seal.NewEphemeralKeyring("ephemeral")
}

// retention is the onboarding retention of -retention and
// -retention-keyring-file.
func retention(c *config) (onboarding.RetentionConfig, error) {
	if c.retention == 0 {
		if c.retentionKeyringFile != "" {
			return onboarding.RetentionConfig{}, errors.New("-retention-keyring-file needs -retention")
		}
		return onboarding.RetentionConfig{}, nil
	}
	if c.retentionKeyringFile == "" {
		return onboarding.RetentionConfig{}, errors.New("-retention needs -retention-keyring-file (a keyring the compliance officers hold, not the service's)")
	}
	ring, err := seal.ReadKeyringFile(c.retentionKeyringFile)
	if err != nil {
		return onboarding.RetentionConfig{}, err
	}
	return onboarding.RetentionConfig{Period: c.retention, Keyring: ring}, nil
}

// purgeRetained runs Service.PurgeRetained every interval until ctx ends.
func purgeRetained(ctx context.Context, svc *onboarding.Service, every time.Duration, stderr io.Writer) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := svc.PurgeRetained(ctx); err != nil {
			fmt.Fprintln(stderr, "purge retained records:", err)
		} else if n > 0 {
			fmt.Fprintf(stderr, "purged the retained records of %d erased users\n", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// newKey prints a new keyring line "id:base64-secret" to append to the
// keyring file (the last line is the current key).
func newKey(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("newkey", flag.ContinueOnError)
	id := fs.String("id", time.Now().UTC().Format("2006-01-02"), "key id (letters, digits, '-', '_', '.')")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, line, err := seal.GenerateKey(*id, nil)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, line)
	return err
}

// rewrap moves every data key in the PostgreSQL store under the keyring's
// current key; then older keys can leave the keyring file.
func rewrap(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("rewrap", flag.ContinueOnError)
	dsn := fs.String("postgres", "", "PostgreSQL DSN (required; or $"+envName("postgres")+")")
	schema := fs.String("schema", "", "the schema of the tables (default: the first of the connection's search_path)")
	file := fs.String("keyring-file", "", "keyring file whose last key becomes every data key's (default: $"+keyringEnv+")")
	if _, err := parseWithEnv(fs, args, nil); err != nil {
		return err
	}
	if *dsn == "" {
		return errors.New("rewrap: -postgres is required")
	}
	c := &config{postgresDSN: *dsn, keyringFile: *file}
	ring, err := loadKeyring(c, func(string) {})
	if err != nil {
		return err
	}
	ctx := context.Background()
	pg, err := openPostgres(ctx, *dsn, *schema)
	if err != nil {
		return err
	}
	defer pg.Close()
	n, err := seal.New(ring, seal.Config{}, onboardkit.Runtime{}).Rewrap(ctx, pg)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "re-wrapped %d data keys under %s\n", n, ring.Current())
	return err
}
