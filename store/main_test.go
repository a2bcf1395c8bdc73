package store_test

import (
	"testing"

	"github.com/ccbench/ccbench/collectors"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

func TestMain(m *testing.M) { servertest.Main(m) }

// The store is the collectors' sink.
var _ collectors.Sink = (*store.Store)(nil)
