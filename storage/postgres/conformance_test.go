package postgres_test

import (
	"testing"

	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
	"github.com/onboardkit/onboardkit/storage/storagetest"
)

// TestConformance runs the storage conformance suite on one migrated
// schema: the suite's records are unique per run, so its tests share it.
func TestConformance(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t)
	storagetest.Run(t, func(t *testing.T) storage.Store { return st })
}

// TestConformanceReplicas runs the suite's replica races on two pools
// sharing one schema.
func TestConformanceReplicas(t *testing.T) {
	t.Parallel()
	a, b := postgrestest.NewPair(t)
	storagetest.RunReplicas(t, func(t *testing.T) (storage.Store, storage.Store) {
		return a, b
	})
}
