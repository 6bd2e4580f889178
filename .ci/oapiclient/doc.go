// Package oapiclient is a scratch module of the CI (.ci/run): it generates
// a Go client from the served OpenAPI document, httpapi/openapi.yaml, with
// oapi-codegen (pinned by the tool directive of go.mod), compiles and vets
// it, and checks its models (models_test.go). The generated client.gen.go
// is not committed; nothing imports this module.
//
//	go generate ./... && go vet ./... && go test ./...
package oapiclient

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../../httpapi/openapi.yaml
