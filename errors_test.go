package onboardkit

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// constsOfType returns the constants of type typ declared in file, with
// whether each has a doc comment.
func constsOfType(t *testing.T, file, typ string) map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != typ {
				continue
			}
			for _, n := range vs.Names {
				out[n.Name] = vs.Doc != nil && strings.TrimSpace(vs.Doc.Text()) != ""
			}
		}
	}
	return out
}

func TestCodesAreListedOnceWithAMessage(t *testing.T) {
	declared := constsOfType(t, "errors.go", "Code")
	if len(declared) == 0 {
		t.Fatal("no Code constants found")
	}
	seen := map[Code]bool{}
	for _, c := range Codes() {
		if seen[c] {
			t.Errorf("code %s listed twice", c)
		}
		seen[c] = true
		if c.Message() == "" {
			t.Errorf("code %s has no default message", c)
		}
	}
	if len(seen) != len(declared) {
		t.Errorf("Codes lists %d codes, errors.go declares %d Code constants", len(seen), len(declared))
	}
	if Code("made_up").Message() != "" {
		t.Error("an unknown code has a message")
	}
}

func TestSentinelsMatchAndCannotBeChanged(t *testing.T) {
	for _, c := range Codes() {
		e := c.Err()
		if !errors.Is(e, c) || !errors.Is(fmt.Errorf("wrapped: %w", e), c) {
			t.Errorf("errors.Is(%s.Err(), %s) does not hold", c, c)
		}
		if !errors.Is(e, &Error{Code: c}) {
			t.Errorf("two *Error of code %s do not match", c)
		}
		if e.Message != c.Message() {
			t.Errorf("%s.Err() message %q", c, e.Message)
		}
	}
	if errors.Is(CodeInvalidCode.Err(), ErrCodeExpired) {
		t.Error("a code matches another code's sentinel")
	}
	// Each Err is a fresh value: changing one changes nothing for others.
	a := ErrInvalidCredentials.Err()
	a.Message = "changed by a caller"
	if b := ErrInvalidCredentials.Err(); b.Message != CodeInvalidCredentials.Message() {
		t.Errorf("a caller changed the sentinel: %q", b.Message)
	}
	if NewError(CodeConflict, "").Message != CodeConflict.Message() {
		t.Error("NewError with no message does not take the default")
	}
}

func TestAsErrorAndErrorCode(t *testing.T) {
	tests := []struct {
		err  error
		want Code
	}{
		{nil, ""},
		{CodeNotFound.Err(), CodeNotFound},
		{fmt.Errorf("x: %w", &Error{Code: CodeConflict}), CodeConflict},
		{fmt.Errorf("x: %w", ErrNameTaken), CodeNameTaken}, // a bare sentinel
		{errors.New("boom"), CodeInternal},
	}
	for _, tt := range tests {
		if got := ErrorCode(tt.err); got != tt.want {
			t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
	if e := AsError(fmt.Errorf("x: %w", ErrNameTaken)); e == nil || e.Message != CodeNameTaken.Message() {
		t.Errorf("AsError of a bare sentinel: %+v", e)
	}
	if AsError(errors.New("boom")) != nil {
		t.Error("AsError of a plain error is not nil")
	}
}

func TestErrorString(t *testing.T) {
	e := ValidationError(FieldError{Field: "a", Code: FieldRequired}, FieldError{Field: "b", Code: FieldTooLong})
	if got, want := e.Error(), "validation: The input is not valid. (a: required; b: too_long)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := fmt.Sprint(ErrInvalidCode); got != "invalid_code" {
		t.Errorf("a Code prints %q", got)
	}
}

func TestFieldCodesAreDocumentedAndListed(t *testing.T) {
	declared := constsOfType(t, "fieldcodes.go", "FieldCode")
	listed := map[FieldCode]bool{}
	for _, c := range FieldCodes() {
		if listed[c] {
			t.Errorf("field code %s listed twice", c)
		}
		listed[c] = true
	}
	if len(listed) != len(declared) {
		t.Errorf("FieldCodes lists %d codes, fieldcodes.go declares %d", len(listed), len(declared))
	}
	for name, documented := range declared {
		if !documented {
			t.Errorf("field code %s has no doc comment", name)
		}
	}
	FieldCodes()[0] = "x"
	if FieldCodes()[0] == "x" {
		t.Error("FieldCodes returns the package's own slice")
	}
}

// TestNoLiteralFieldCodes holds every package of the module to the one set
// of field codes: a FieldError whose Code is a string literal, or a
// FieldCode converted from one, outside tests, fails.
func TestNoLiteralFieldCodes(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || path == "fieldcodes.go" {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if !isName(n.Type, "FieldError") {
					return true
				}
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok && isName(kv.Key, "Code") {
						if _, lit := kv.Value.(*ast.BasicLit); lit {
							t.Errorf("%s: a FieldError with a literal code; use a FieldCode constant", fset.Position(kv.Pos()))
						}
					}
				}
			case *ast.CallExpr:
				if isName(n.Fun, "FieldCode") && len(n.Args) == 1 {
					if _, lit := n.Args[0].(*ast.BasicLit); lit {
						t.Errorf("%s: FieldCode converted from a literal; declare it in fieldcodes.go", fset.Position(n.Pos()))
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// isName reports whether e is name or pkg.name.
func isName(e ast.Expr, name string) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name == name
	case *ast.SelectorExpr:
		return e.Sel.Name == name
	}
	return false
}

// unsafeReader is not safe for concurrent use: the race detector reports
// concurrent reads unless the Runtime serialises them.
type unsafeReader struct{ n int }

func (r *unsafeReader) Read(p []byte) (int, error) {
	for i := range p {
		r.n++
		p[i] = byte(r.n)
	}
	return len(p), nil
}

func TestRuntimeDefaults(t *testing.T) {
	rt := Runtime{}.WithDefaults()
	if rt.Clock == nil || rt.Rand == nil || rt.Logger == nil {
		t.Fatalf("defaults not filled: %+v", rt)
	}
	if rt.Now().Location().String() != "UTC" || (Runtime{}).Now().IsZero() {
		t.Error("Now is not the UTC wall clock")
	}
	injected := Runtime{Rand: &unsafeReader{}}.WithDefaults()
	if again := injected.WithDefaults(); again.Rand != injected.Rand {
		t.Error("WithDefaults wrapped the reader twice")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b [16]byte
			_, _ = injected.Rand.Read(b[:])
		}()
	}
	wg.Wait()
}
