// This file owns where the server's settings come from besides the
// command line: the ONBOARDKIT_… environment variables, and the secrets
// read from files or the environment rather than from argv.

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
)

// envPrefix starts the environment variable of every flag.
const envPrefix = "ONBOARDKIT_"

// envName is the environment variable of a flag: ONBOARDKIT_ and the flag
// name upper-cased, '-' → '_' (-send-limit: ONBOARDKIT_SEND_LIMIT).
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// envRule is the rule as the flag help and the README state it.
const envRule = "Every flag can also be set by the environment variable ONBOARDKIT_<FLAG>: " +
	"the flag name upper-cased, '-' as '_' (-send-limit 20: ONBOARDKIT_SEND_LIMIT=20; " +
	"-auto-approve-kyc: ONBOARDKIT_AUTO_APPROVE_KYC=true). A flag given on the command line wins over its variable; " +
	"repeatable flags take a comma-separated list (ONBOARDKIT_INTEGRATOR_KEY=0x02…,0x03…). " +
	"Secrets never need the command line: each has a -…-file flag and a variable."

// source says where each flag that is set came from.
type source struct {
	argv map[string]bool // set on the command line
	env  map[string]bool // set from its environment variable
}

// parseWithEnv parses args into fs, then sets every flag not given on the
// command line from its environment variable, when that is set and not
// empty. repeatable names the flags that take a comma-separated list from
// the environment. Errors name the variable, never its value.
func parseWithEnv(fs *flag.FlagSet, args []string, repeatable map[string]bool) (source, error) {
	src := source{argv: map[string]bool{}, env: map[string]bool{}}
	if err := fs.Parse(args); err != nil {
		return src, err
	}
	fs.Visit(func(f *flag.Flag) { src.argv[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if src.argv[f.Name] {
			return
		}
		v, ok := os.LookupEnv(envName(f.Name))
		if !ok || v == "" {
			return
		}
		values := []string{v}
		if repeatable[f.Name] {
			values = nil
			for _, part := range strings.Split(v, ",") {
				if part = strings.TrimSpace(part); part != "" {
					values = append(values, part)
				}
			}
		}
		for _, part := range values {
			if err := fs.Set(f.Name, part); err != nil {
				errs = append(errs, fmt.Errorf("$%s (-%s): %w", envName(f.Name), f.Name, err))
				return
			}
		}
		src.env[f.Name] = true
	})
	return src, errors.Join(errs...)
}

// secret is a secret setting. It comes from a file (-name-file, or
// $ONBOARDKIT_NAME_FILE) or from the environment ($ONBOARDKIT_NAME);
// legacy secrets also have a command-line flag -name, which works with a
// warning (argv is visible to every user of the machine in ps and /proc).
type secret struct {
	name string
	// argvFlag: -name exists (else only the file and the variable do).
	argvFlag bool
	// repeatable: a list, one per -name, a comma-separated variable or one
	// per line of the file.
	repeatable bool
	values     []string // from -name, or $ONBOARDKIT_NAME through it
	file       string   // from -name-file or $ONBOARDKIT_NAME_FILE
}

// register defines -name (when argvFlag) and -name-file on fs.
func (s *secret) register(fs *flag.FlagSet, usage string) {
	if s.argvFlag {
		fs.Func(s.name, usage+" (visible in ps: prefer -"+s.name+"-file or $"+envName(s.name)+")", func(v string) error {
			if !s.repeatable {
				s.values = nil
			}
			s.values = append(s.values, v)
			return nil
		})
	}
	what := "file holding " + usage
	if s.repeatable {
		what = "file holding " + usage + ", one per line"
	}
	fs.StringVar(&s.file, s.name+"-file", "", what+" (or $"+envName(s.name)+")")
}

// resolve returns the secret's values: from the command line (-name, with
// a warning, or -name-file), else from the environment ($…_FILE, or the
// variable itself). Giving both forms at one level is an error.
func (s *secret) resolve(src source, warn func(string)) ([]string, error) {
	name, file := s.name, s.name+"-file"
	fromArgv, fileFromArgv := src.argv[name], src.argv[file]
	switch {
	case fromArgv && fileFromArgv:
		return nil, fmt.Errorf("give -%s or -%s, not both", name, file)
	case fromArgv:
		warn("-" + name + " on the command line is visible to every user of this machine (ps, /proc); use -" + file + " or $" + envName(name))
		return s.values, nil
	case fileFromArgv:
		return s.read()
	}
	env := s.values
	if !s.argvFlag {
		env = nil
		if v := os.Getenv(envName(name)); v != "" {
			env = []string{v}
		}
	}
	switch {
	case len(env) > 0 && s.file != "":
		return nil, fmt.Errorf("$%s and $%s are both set; keep one", envName(name), envName(file))
	case s.file != "":
		return s.read()
	}
	return env, nil
}

// one is resolve for a secret that is not repeatable: its value or "".
func (s *secret) one(src source, warn func(string)) (string, error) {
	v, err := s.resolve(src, warn)
	if err != nil || len(v) == 0 {
		return "", err
	}
	return v[len(v)-1], nil
}

// read reads the secret's file: the whole file less its final line break,
// or its non-empty lines for a repeatable secret. An empty file is an
// error.
func (s *secret) read() ([]string, error) {
	b, err := os.ReadFile(s.file)
	if err != nil {
		return nil, fmt.Errorf("-%s-file: %w", s.name, err)
	}
	text := strings.TrimRight(string(b), "\r\n")
	var out []string
	if s.repeatable {
		for _, l := range strings.Split(text, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
	} else if text != "" {
		out = []string{text}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-%s-file: %s is empty", s.name, s.file)
	}
	return out, nil
}

// warnPasswordInArgv warns when a connection string given on the command
// line holds a password.
func warnPasswordInArgv(src source, flagName, dsn string, warn func(string)) {
	if src.argv[flagName] && hasPassword(dsn) {
		warn("-" + flagName + " on the command line holds a password, visible to every user of this machine (ps, /proc); use $" +
			envName(flagName) + " (or PGPASSFILE / PGPASSWORD for PostgreSQL)")
	}
}

// hasPassword reports a URL with a password, or a keyword/value DSN with a
// password= setting.
func hasPassword(dsn string) bool {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			return true
		}
	}
	for _, f := range strings.Fields(dsn) {
		if strings.HasPrefix(strings.ToLower(f), "password=") {
			return true
		}
	}
	return false
}

// warner returns the warn function of a command: a WARNING line on
// stderr.
func warner(stderr io.Writer) func(string) {
	return func(msg string) { fmt.Fprintln(stderr, "WARNING:", msg) }
}
