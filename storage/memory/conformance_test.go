package memory_test

import (
	"testing"

	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
	"github.com/onboardkit/onboardkit/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(*testing.T) storage.Store { return memory.New() })
}

func TestConformanceReplicas(t *testing.T) {
	// One in-memory store stands for both replicas.
	storagetest.RunReplicas(t, func(*testing.T) (a, b storage.Store) {
		s := memory.New()
		return s, s
	})
}

func BenchmarkConformance(b *testing.B) {
	storagetest.Bench(b, func(*testing.B) storage.Store { return memory.New() })
}
