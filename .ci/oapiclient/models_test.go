package oapiclient

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"sort"
	"strings"
	"testing"
)

// freeForm lists the generated types and fields that may hold interface{}
// (or any): those whose schema is free-form by design. Anything else that
// comes out as interface{} is a schema a generator cannot type, most often
// an enum or const without its `type`.
var freeForm = map[string]string{
	// {} is its only value: the body of routes whose input is their path.
	"EmptyRequest": "an empty object",
	// The KYC provider's own notification, verified over its raw bytes.
	"ProviderWebhookJSONBody": "the provider's body",
	// The browser's WebAuthn client extension outputs: whatever extensions
	// the client ran, passed through to go-webauthn as they are.
	"PublicKeyCredential.ClientExtensionResults": "the browser's extension outputs",
	// GET /openapi.yaml answers this document.
	"OpenapiResponse.YAML200": "the OpenAPI document",
}

// TestNoUntypedModels fails when a type or field of the generated client
// is interface{} or any (also as the element of a slice, map or pointer)
// outside freeForm.
func TestNoUntypedModels(t *testing.T) {
	src, err := os.ReadFile("client.gen.go")
	if err != nil {
		t.Fatalf("generate the client first (go generate ./...): %v", err)
	}
	file, err := parser.ParseFile(token.NewFileSet(), "client.gen.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var untyped []string
	var walk func(path string, e ast.Expr)
	walk = func(path string, e ast.Expr) {
		switch x := e.(type) {
		case *ast.InterfaceType:
			if x.Methods == nil || len(x.Methods.List) == 0 {
				untyped = append(untyped, path)
			}
		case *ast.Ident:
			if x.Name == "any" {
				untyped = append(untyped, path)
			}
		case *ast.StarExpr:
			walk(path, x.X)
		case *ast.ArrayType:
			walk(path, x.Elt)
		case *ast.MapType:
			walk(path, x.Value)
		case *ast.StructType:
			for _, f := range x.Fields.List {
				for _, n := range f.Names {
					walk(path+"."+n.Name, f.Type)
				}
				if len(f.Names) == 0 { // embedded
					walk(path, f.Type)
				}
			}
		}
	}
	types := 0
	for _, d := range file.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.TYPE {
			continue // function bodies and signatures are the client's plumbing
		}
		for _, s := range g.Specs {
			ts := s.(*ast.TypeSpec)
			types++
			walk(ts.Name.Name, ts.Type)
		}
	}
	if types < 100 {
		t.Fatalf("only %d types generated", types)
	}
	var bad []string
	for _, p := range untyped {
		if _, ok := freeForm[p]; !ok {
			bad = append(bad, p)
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Errorf("untyped (interface{}) in the generated models; give the schema its type, or list it in freeForm if it is free-form by design:\n  %s",
			strings.Join(bad, "\n  "))
	}
	for name := range freeForm {
		found := false
		for _, p := range untyped {
			found = found || p == name
		}
		if !found {
			t.Errorf("freeForm lists %s, which is typed now: drop it", name)
		}
	}
}

// The generated client has the operations of the document.
var _ ClientWithResponsesInterface = (*ClientWithResponses)(nil)
